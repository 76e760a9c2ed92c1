using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.OpenIddict.Usage;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The usage report endpoint for LLM gateways and metered APIs.</summary>
public static class LumoAgentsUsageEndpoints
{
    /// <summary>The scope a reporter's access token must hold, and the name of the authorization policy that requires it.</summary>
    public const string UsageScope = "agents:usage";

    private const string InvalidTitle = "The usage report is not valid";

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

        // One endpoint with the admin group's conventions, not a group of one: a group would add a slash to the route,
        // which the audit records of its refusals name.
        return endpoints.MapPost(pattern, HandleAsync).WithName("LumoAgentsUsage").WithLumoAgentsApiConventions(endpoints, ApiPolicies.Usage, "Usage")
            .WithMetadata(new UsageAudit()).AddEndpointFilter(ApiQuery.RequirePrintable(InvalidTitle))
            .WithSummary("Report an agent's usage; a retry under the same Idempotency-Key counts once")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<Results<Ok<UsageResponse>, ApiRefusal>> HandleAsync(string agentId, HttpContext http, UsageReporter reporter, TimeProvider time)
    {
        var (report, invalid) = await ReadAsync(http, agentId);
        if (invalid is not null)
        {
            return invalid with { AgentId = agentId };
        }

        var outcome = await reporter.ReportAsync(report! with { Reporter = http.User.GetClaim(OpenIddictConstants.Claims.ClientId) ?? string.Empty }, http.RequestAborted);
        if (outcome.AgentUnknown)
        {
            return new ApiRefusal(StatusCodes.Status404NotFound, AgentErrorCodes.AgentUnknown, "Unknown agent", outcome.Error!.Description) { AgentId = agentId };
        }

        if (outcome.KeyReused)
        {
            return new ApiRefusal(StatusCodes.Status422UnprocessableEntity, AgentErrorCodes.IdempotencyKeyReused, "Idempotency key reused", outcome.Error!.Description) { AgentId = agentId };
        }

        if (outcome.Error is { } error)
        {
            http.Response.Headers.RetryAfter = ProtocolResponse.RetryAfterSeconds(outcome.ResetAt, time.GetUtcNow());
            return new ApiRefusal(StatusCodes.Status429TooManyRequests, AgentErrorCodes.BudgetExhausted, "Budget spent", error.Description) { AgentId = agentId };
        }

        var metric = report!.Metric;
        return TypedResults.Ok(new UsageResponse(report.AgentId, BudgetWire.Name(metric), BudgetWire.Window(metric), BudgetWire.Unit(metric),
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

        var (body, bad) = await ApiJsonBody.ReadAsync<UsageRequest>(http, AgentErrorCodes.UsageReportInvalid, InvalidTitle, allowUnknownFields: true);
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
            ? (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.UsageReportInvalid, InvalidTitle,
                $"These fields are not valid: {string.Join(", ", errors.Keys)}. Nothing was counted.", errors))
            : (new UsageReport(agentId, metric, amount, key), null);
    }

    /// <summary>A refused report is recorded as <c>usage_report</c>, naming the reporter and the agent it named.</summary>
    private sealed class UsageAudit : ApiAudit
    {
        public override async ValueTask RefusedAsync(HttpContext http, ApiRefusal refusal) =>
            await http.RequestServices.GetRequiredService<AuditTrail>().RecordProtocolRefusalAsync(OAuthErrors.InvalidRequest, refusal.Describe(), refusal.Code, new AuditContext
            {
                GrantType = "usage_report",
                ClientId = http.User.GetClaim(OpenIddictConstants.Claims.ClientId),
                AgentId = refusal.AgentId,
                ClientIp = http.Connection.RemoteIpAddress?.ToString(),
            }, http.RequestAborted);
    }

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
