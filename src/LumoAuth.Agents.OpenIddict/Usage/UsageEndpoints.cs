using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenIddict.Abstractions;
using LumoAuth.Agents.OpenIddict.Endpoints;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The usage report endpoint for LLM gateways and metered APIs.</summary>
public static class LumoAgentsUsageEndpoints
{
    /// <summary>The scope a reporter's access token must hold.</summary>
    public const string UsageScope = "agents:usage";

    private static readonly Dictionary<string, BudgetMetric> Metrics = new(StringComparer.Ordinal)
    {
        ["llm_tokens"] = BudgetMetric.LlmTokensPerDay,
        ["api_calls"] = BudgetMetric.ApiCallsPerHour,
        ["cost"] = BudgetMetric.CostPerMonth,
    };

    /// <summary>
    /// Maps <c>POST {pattern}</c>: a reporter holding an access token from this server with the <c>agents:usage</c>
    /// scope reports an agent's usage as JSON <c>{"metric":"llm_tokens|api_calls|cost","amount":…}</c> with an
    /// <c>Idempotency-Key</c> header (a retry under the same key counts once). Answers 200 with the window's usage,
    /// 429 with <c>Retry-After</c> when an API call would pass the limit, and RFC 9457 problems otherwise (400 naming
    /// every bad field, 401, 403, 404). Needs the OpenIddict validation handler
    /// (<c>AddValidation(o =&gt; { o.UseLocalServer(); o.UseAspNetCore(); })</c>).
    /// </summary>
    public static RouteHandlerBuilder MapLumoAgentsUsage(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = "/api/v1/agents/{agentId}/usage")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPost(pattern, HandleAsync).DisableAntiforgery().WithName("LumoAgentsUsage");
    }

    private static async Task<IResult> HandleAsync(string agentId, HttpContext http, UsageReporter reporter, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, UsageScope);
        var reporterId = principal?.GetClaim(OpenIddictConstants.Claims.ClientId);
        if (refusal is not null)
        {
            return refusal;
        }

        var (report, errors) = await ReadAsync(http, agentId);
        if (report is null)
        {
            await RecordAsync(audit, http, agentId, reporterId, "usage_report_invalid", string.Join(" ", errors.SelectMany(e => e.Value)));
            return Results.ValidationProblem(errors, title: "The usage report is not valid", type: "https://lumoauth.dev/agents/docs/errors#usage_report_invalid");
        }

        var outcome = await reporter.ReportAsync(report with { Reporter = reporterId ?? string.Empty }, http.RequestAborted);
        if (outcome.AgentUnknown)
        {
            await RecordAsync(audit, http, agentId, reporterId, outcome.Error!.Code, outcome.Error.Description);
            return Results.Problem(statusCode: 404, title: "Unknown agent", detail: outcome.Error.Description);
        }

        if (outcome.KeyReused)
        {
            await RecordAsync(audit, http, agentId, reporterId, outcome.Error!.Code, outcome.Error.Description);
            return Results.Problem(statusCode: 422, title: "Idempotency key reused", detail: outcome.Error.Description, type: "https://lumoauth.dev/agents/docs/errors#idempotency_key_reused");
        }

        if (outcome.Error is { } error)
        {
            await RecordAsync(audit, http, agentId, reporterId, error.Code, error.Description);
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling((outcome.ResetAt - DateTimeOffset.UtcNow).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: 429, title: "Budget spent", detail: error.Description, type: "https://lumoauth.dev/agents/docs/errors#budget_exhausted");
        }

        return Results.Json(new UsageResponse(report.AgentId, MetricName(report.Metric), outcome.Used, outcome.Limit, !outcome.Duplicate, outcome.ResetAt));
    }

    private static async Task<(UsageReport? Report, Dictionary<string, string[]> Errors)> ReadAsync(HttpContext http, string agentId)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (string.IsNullOrWhiteSpace(key) || key.Length > 200 || http.Request.Headers["Idempotency-Key"].Count > 1)
        {
            errors["Idempotency-Key"] = ["Send one Idempotency-Key header of 1-200 characters, so a retried report counts once."];
        }

        UsageRequest? body = null;
        try
        {
            body = await http.Request.ReadFromJsonAsync<UsageRequest>(http.RequestAborted);
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            errors["body"] = ["The body must be JSON: {\"metric\":\"llm_tokens|api_calls|cost\",\"amount\":number}."];
        }

        BudgetMetric metric = default;
        if (body is not null && (body.Metric is null || !Metrics.TryGetValue(body.Metric, out metric)))
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

        return errors.Count > 0 || body is null ? (null, errors.Count > 0 ? errors : new() { ["body"] = ["A JSON body is required."] }) : (new UsageReport(agentId, metric, amount, key), errors);
    }

    private static ValueTask<AuditRecord> RecordAsync(AuditTrail audit, HttpContext http, string agentId, string? reporter, string code, string description) =>
        audit.RecordProtocolRefusalAsync(code == "insufficient_scope" ? "insufficient_scope" : "invalid_request", description, code, new AuditContext
        {
            GrantType = "usage_report",
            ClientId = reporter,
            AgentId = agentId,
            ClientIp = http.Connection.RemoteIpAddress?.ToString(),
        }, http.RequestAborted);

    private static string MetricName(BudgetMetric metric) => Metrics.First(m => m.Value == metric).Key;

    private sealed record UsageRequest([property: JsonPropertyName("metric")] string? Metric, [property: JsonPropertyName("amount")] decimal? Amount);

    private sealed record UsageResponse(
        [property: JsonPropertyName("agent_id")] string AgentId,
        [property: JsonPropertyName("metric")] string Metric,
        [property: JsonPropertyName("used")] long Used,
        [property: JsonPropertyName("limit")] long? Limit,
        [property: JsonPropertyName("counted")] bool Counted,
        [property: JsonPropertyName("window_resets_at")] DateTimeOffset ResetsAt);
}
