using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Serialization;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.OpenIddict.Usage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenIddict.Abstractions;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The usage report endpoint for LLM gateways and metered APIs.</summary>
public static class LumoAgentsUsageEndpoints
{
    /// <summary>The scope a reporter's access token must hold.</summary>
    public const string UsageScope = "agents:usage";

    /// <summary>
    /// Maps <c>POST {pattern}</c>: a reporter holding an access token from this server with the <c>agents:usage</c>
    /// scope reports an agent's usage as JSON <c>{"metric":"llm_tokens|api_calls|cost","amount":…}</c> with an
    /// <c>Idempotency-Key</c> header (a retry under the same key counts once). Answers 200 with the window's usage,
    /// 429 with <c>Retry-After</c> when an API call would pass the limit, and RFC 9457 problems otherwise (400 naming
    /// every bad field, 401, 403, 404, 413, 415). The answer names the metric's <c>window</c> and <c>unit</c>; cost is a
    /// decimal in the host's currency unit. Unknown fields of a report are ignored. Needs the OpenIddict validation handler
    /// (<c>AddValidation(o =&gt; { o.UseLocalServer(); o.UseAspNetCore(); })</c>).
    /// </summary>
    public static RouteHandlerBuilder MapLumoAgentsUsage(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = "/api/v1/agents/{agentId}/usage")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPost(pattern, HandleAsync).DisableAntiforgery().WithName("LumoAgentsUsage").WithLumoAgentsApiConventions(endpoints);
    }

    private static async Task<IResult> HandleAsync(string agentId, HttpContext http, UsageReporter reporter, AuditTrail audit, TimeProvider time)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, UsageScope);
        var reporterId = principal?.GetClaim(OpenIddictConstants.Claims.ClientId);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            var bad = new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.QueryInvalid, "The usage report is not valid",
                $"These parameters are not valid: {string.Join(", ", query.Errors.Keys)}.", query.Errors);
            await RecordAsync(audit, http, null, reporterId, bad.Code, bad.Describe());
            return bad.ToResult(http);
        }

        var (report, invalid) = await ReadAsync(http, agentId);
        if (invalid is not null)
        {
            await RecordAsync(audit, http, agentId, reporterId, invalid.Code, invalid.Describe());
            return invalid.ToResult(http);
        }

        var outcome = await reporter.ReportAsync(report! with { Reporter = reporterId ?? string.Empty }, http.RequestAborted);
        if (outcome.AgentUnknown)
        {
            await RecordAsync(audit, http, agentId, reporterId, outcome.Error!.Code, outcome.Error.Description);
            return ApiProblem.Of(http, StatusCodes.Status404NotFound, AgentErrorCodes.AgentUnknown, "Unknown agent", outcome.Error.Description);
        }

        if (outcome.KeyReused)
        {
            await RecordAsync(audit, http, agentId, reporterId, outcome.Error!.Code, outcome.Error.Description);
            return ApiProblem.Of(http, StatusCodes.Status422UnprocessableEntity, AgentErrorCodes.IdempotencyKeyReused, "Idempotency key reused", outcome.Error.Description);
        }

        if (outcome.Error is { } error)
        {
            await RecordAsync(audit, http, agentId, reporterId, error.Code, error.Description);
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling((outcome.ResetAt - time.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ApiProblem.Of(http, StatusCodes.Status429TooManyRequests, AgentErrorCodes.BudgetExhausted, "Budget spent", error.Description);
        }

        var metric = report!.Metric;
        return Results.Json(new UsageResponse(report.AgentId, BudgetWire.Name(metric), BudgetWire.Window(metric), BudgetWire.Unit(metric),
            BudgetWire.ToWire(metric, outcome.Used), BudgetWire.ToWire(metric, outcome.Limit), !outcome.Duplicate, outcome.ResetAt));
    }

    private static async Task<(UsageReport? Report, ApiRefusal? Refusal)> ReadAsync(HttpContext http, string agentId)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var keys = http.Request.Headers["Idempotency-Key"];
        var key = keys.ToString();
        if (string.IsNullOrWhiteSpace(key) || key.Length > 200 || keys.Count > 1 || ApiQuery.HasControlCharacters(key))
        {
            errors["Idempotency-Key"] = ["Send one Idempotency-Key header of 1-200 printable characters, so a retried report counts once."];
        }

        var limits = http.GetEndpoint()?.Metadata.GetMetadata<ApiCallerGuard>()?.Options ?? new LumoAgentsApiOptions();
        var (body, bad) = await ApiJsonBody.ReadAsync<UsageRequest>(http, limits, AgentErrorCodes.UsageReportInvalid, "The usage report is not valid", allowUnknownFields: true);
        if (bad is not null)
        {
            if (bad.Code != AgentErrorCodes.UsageReportInvalid)
            {
                return (null, bad);
            }

            foreach (var (field, messages) in bad.Errors ?? [])
            {
                errors[field] = messages;
            }
        }

        BudgetMetric metric = default;
        if (body is not null && !BudgetWire.TryParse(body.Metric, out metric))
        {
            errors["metric"] = ["'metric' must be one of llm_tokens, api_calls, cost."];
        }

        long amount = 0;
        if (body is not null)
        {
            if (body.Amount is not { } value || value <= 0 || value > 1_000_000_000_000m)
            {
                errors["amount"] = ["'amount' must be a positive number."];
            }
            else if (metric == BudgetMetric.CostPerMonth)
            {
                amount = (long)Math.Ceiling(value * 10_000m);
            }
            else if (value != decimal.Truncate(value))
            {
                errors["amount"] = ["'amount' must be a whole number for llm_tokens and api_calls."];
            }
            else
            {
                amount = (long)value;
            }
        }

        return errors.Count > 0
            ? (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.UsageReportInvalid, "The usage report is not valid",
                $"These fields are not valid: {string.Join(", ", errors.Keys)}. Nothing was counted.", errors))
            : (new UsageReport(agentId, metric, amount, key), null);
    }

    private static ValueTask<AuditRecord> RecordAsync(AuditTrail audit, HttpContext http, string? agentId, string? reporter, string code, string description) =>
        audit.RecordProtocolRefusalAsync(code == AgentErrorCodes.InsufficientScope ? AgentErrorCodes.InsufficientScope : OAuthErrors.InvalidRequest, description, code, new AuditContext
        {
            GrantType = "usage_report",
            ClientId = reporter,
            AgentId = agentId,
            ClientIp = http.Connection.RemoteIpAddress?.ToString(),
        }, http.RequestAborted);

    private sealed record UsageRequest([property: JsonPropertyName("metric")] string? Metric, [property: JsonPropertyName("amount")] decimal? Amount);

    private sealed record UsageResponse(
        [property: JsonPropertyName("agent_id")] string AgentId,
        [property: JsonPropertyName("metric")] string Metric,
        [property: JsonPropertyName("window")] string Window,
        [property: JsonPropertyName("unit")] string Unit,
        [property: JsonPropertyName("used")] decimal Used,
        [property: JsonPropertyName("limit")] decimal? Limit,
        [property: JsonPropertyName("counted")] bool Counted,
        [property: JsonPropertyName("window_resets_at")] DateTimeOffset ResetsAt);
}
