using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.AspNetCore.Metering;

/// <summary>The outcome of counting one API call.</summary>
/// <param name="Allowed">True when the call was counted within the agent's budget.</param>
/// <param name="ResetAt">When the spent budget resets (for <c>Retry-After</c>).</param>
/// <param name="Description">Why it was refused.</param>
public readonly record struct MeteringDecision(bool Allowed, DateTimeOffset? ResetAt = null, string? Description = null);

/// <summary>Counts an agent's API calls in the ledger the token server uses, atomically and shared by every API instance.</summary>
public interface IApiCallMeter
{
    /// <summary>Counts one call of <paramref name="agentId"/>, refused when its hourly budget is spent. Throws when the ledger cannot answer.</summary>
    ValueTask<MeteringDecision> CountAsync(string agentId, string idempotencyKey, CancellationToken cancellationToken);
}

/// <summary>How API calls are metered.</summary>
public sealed class ApiCallMeteringOptions
{
    /// <summary>
    /// The token server's usage endpoint, with <c>{agentId}</c> in it (for example
    /// <c>https://auth.example/t/acme-corp/api/v1/agents/{agentId}/usage</c>). Set it (with <see cref="ReporterClientId"/>
    /// and <see cref="ReporterClientSecret"/>) when the API does not share the token server's database; leave it null to
    /// count in the ledger registered in this application (<c>AddLumoAgents()</c> with a shared store).
    /// </summary>
    public string? UsageEndpoint { get; set; }

    /// <summary>The token endpoint the API gets its own reporter token from (scope <c>agents:usage</c>).</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The API's client id, allowed the <c>agents:usage</c> scope.</summary>
    public string? ReporterClientId { get; set; }

    /// <summary>The API's client secret.</summary>
    public string? ReporterClientSecret { get; set; }

    /// <summary>The reporter name used to scope idempotency keys in the local ledger (default <c>api</c>).</summary>
    public string Reporter { get; set; } = "api";
}

/// <summary>Counts in the ledger of this application (the API shares the token server's store); a refused call is audited there.</summary>
public sealed class LedgerApiCallMeter : IApiCallMeter
{
    private readonly UsageReporter _reporter;
    private readonly IOptionsMonitor<ApiCallMeteringOptions> _options;
    private readonly LumoAuth.Agents.Audit.AuditTrail? _audit;

    /// <summary>Creates the meter.</summary>
    public LedgerApiCallMeter(UsageReporter reporter, IOptionsMonitor<ApiCallMeteringOptions> options, LumoAuth.Agents.Audit.AuditTrail? audit = null)
    {
        _reporter = reporter;
        _options = options;
        _audit = audit;
    }

    /// <inheritdoc />
    public async ValueTask<MeteringDecision> CountAsync(string agentId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var outcome = await _reporter.ReportAsync(new UsageReport(agentId, BudgetMetric.ApiCallsPerHour, 1, idempotencyKey, _options.CurrentValue.Reporter), cancellationToken);
        if (outcome.AgentUnknown)
        {
            // A valid token for an agent the ledger does not know: a store that is not the token server's. Never let it through unmetered.
            throw new InvalidOperationException($"The ledger does not know agent '{agentId}'.");
        }

        if (outcome.Error is { } refusal)
        {
            if (_audit is not null)
            {
                await _audit.RecordProtocolRefusalAsync(refusal.OAuthError, refusal.Description, refusal.Code,
                    new LumoAuth.Agents.Audit.AuditContext { GrantType = "usage_report", AgentId = agentId, ClientId = _options.CurrentValue.Reporter }, cancellationToken);
            }

            return new MeteringDecision(false, outcome.ResetAt, refusal.Description);
        }

        return new MeteringDecision(true);
    }
}

/// <summary>Counts through the token server's usage endpoint with the API's own reporter token.</summary>
public sealed class UsageEndpointApiCallMeter : IApiCallMeter, IDisposable
{
    /// <summary>The name of the HTTP client used for usage reports.</summary>
    public const string HttpClientName = "LumoAuth.Agents.UsageReporter";

    private const string UsageScope = "agents:usage";

    private readonly IHttpClientFactory _http;
    private readonly IOptionsMonitor<ApiCallMeteringOptions> _options;
    private readonly TimeProvider _time;
    private readonly ReporterToken _tokens;

    /// <summary>Creates the meter.</summary>
    public UsageEndpointApiCallMeter(IHttpClientFactory http, IOptionsMonitor<ApiCallMeteringOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _time = time;
        var current = options.CurrentValue;
        _tokens = new ReporterToken(http, HttpClientName, time, current, UsageScope);
    }

    /// <inheritdoc />
    public void Dispose() => _tokens.Dispose();

    /// <inheritdoc />
    public async ValueTask<MeteringDecision> CountAsync(string agentId, string idempotencyKey, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        var client = _http.CreateClient(HttpClientName);
        var token = await _tokens.GetAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, options.UsageEndpoint!.Replace("{agentId}", Uri.EscapeDataString(agentId), StringComparison.Ordinal))
        {
            Content = JsonContent.Create(new { metric = "api_calls", amount = 1 }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return new MeteringDecision(true);
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            var retry = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMinutes(1);
            return new MeteringDecision(false, _time.GetUtcNow() + retry, problem?["detail"]?.GetValue<string>());
        }

        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            _tokens.Forget(token);
        }

        // Anything else (a wrong endpoint's 404 included) must not switch budgets off: the call is refused as unmeterable.
        throw new HttpRequestException($"The usage endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
    }
}

/// <summary>
/// Hands the application's one <see cref="UsageEndpointApiCallMeter"/> to a request scope without giving the scope its
/// disposal: a scoped factory's result is disposed with the scope, which would stop metering after the first request.
/// </summary>
internal sealed class SharedApiCallMeter(IApiCallMeter inner) : IApiCallMeter
{
    /// <inheritdoc />
    public ValueTask<MeteringDecision> CountAsync(string agentId, string idempotencyKey, CancellationToken cancellationToken) =>
        inner.CountAsync(agentId, idempotencyKey, cancellationToken);
}

/// <summary>Endpoint metadata: this endpoint's calls are not counted against agents' budgets (health checks, metadata).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class SkipApiCallMeteringAttribute : Attribute
{
}

/// <summary>
/// Counts each call an agent makes (the current actor of the token) against its <c>max_api_calls_per_hour</c> in the
/// shared ledger, before the endpoint runs; a call past the budget is answered 429 with <c>Retry-After</c> and not
/// served. When the ledger cannot answer, the call is refused with 503 (fail closed). Put it after
/// <c>UseAuthorization()</c> so refused calls are not counted.
/// </summary>
internal sealed partial class ApiCallMeteringMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<ApiCallMeteringMiddleware> _logger;

    /// <summary>Creates the middleware.</summary>
    public ApiCallMeteringMiddleware(RequestDelegate next, ILogger<ApiCallMeteringMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    /// <summary>Handles a request.</summary>
    public async Task InvokeAsync(HttpContext http, IApiCallMeter meter, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(time);
        var endpoint = http.GetEndpoint();
        if (endpoint is null || endpoint.Metadata.GetMetadata<SkipApiCallMeteringAttribute>() is not null || http.GetAgentCaller()?.AgentId is not { } agentId)
        {
            await _next(http);
            return;
        }

        MeteringDecision decision;
        try
        {
            decision = await meter.CountAsync(agentId, "call:" + Guid.NewGuid().ToString("N"), http.RequestAborted);
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or JsonException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            LogLedgerUnavailable(_logger, agentId, exception.Message);
            http.Response.Headers.RetryAfter = "5";
            await OAuthErrorResponse.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "temporarily_unavailable", "The API-call budget cannot be checked right now; try again shortly.");
            return;
        }

        if (!decision.Allowed)
        {
            var retryAfter = Math.Max(1, (long)Math.Ceiling(((decision.ResetAt ?? time.GetUtcNow().AddMinutes(1)) - time.GetUtcNow()).TotalSeconds));
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            LogOverBudget(_logger, agentId, retryAfter);
            // The standard error, with the stable code beside it, as the token server answers a spent budget.
            await OAuthErrorResponse.WriteAsync(http, StatusCodes.Status429TooManyRequests, Errors.OAuthErrors.TemporarilyUnavailable,
                decision.Description ?? $"Agent '{agentId}' has spent its API calls for this hour.",
                new JsonObject { ["error_code"] = Errors.AgentErrorCodes.BudgetExhausted });
            return;
        }

        await _next(http);
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.ApiCallBudgetSpent, EventName = nameof(LumoAgentsEventIds.ApiCallBudgetSpent), Level = LogLevel.Information, Message = "Agent {AgentId} is over its API-call budget; retry after {RetryAfter} s")]
    private static partial void LogOverBudget(ILogger logger, string agentId, long retryAfter);

    [LoggerMessage(EventId = LumoAgentsEventIds.ApiCallBudgetUnavailable, EventName = nameof(LumoAgentsEventIds.ApiCallBudgetUnavailable), Level = LogLevel.Warning, Message = "The API-call budget of {AgentId} could not be checked: {Reason}")]
    private static partial void LogLedgerUnavailable(ILogger logger, string agentId, string reason);
}
