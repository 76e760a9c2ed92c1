using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The audit trail's query API.</summary>
public static class LumoAgentsAuditEndpoints
{
    /// <summary>
    /// Maps <c>GET {pattern}</c> for holders of <c>agents:admin</c>: audit records newest first, filtered by
    /// <c>agent</c>, <c>subject</c> (<c>user:alice</c>), <c>actor</c> (anywhere in the chain), <c>outcome</c>
    /// (issued, refused, changed), <c>reason</c>, <c>from</c>/<c>to</c> (ISO 8601), paged by <c>skip</c>/<c>take</c>
    /// (at most 200). Each record carries its chain as JSON and in words. A malformed, out-of-range or repeated parameter
    /// is a 400 problem (<c>query_invalid</c>) naming each; refusals follow <c>MapLumoAgentsAdmin</c>'s rules.
    /// </summary>
    public static RouteHandlerBuilder MapLumoAgentsAudit(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = "/api/v1/audit")
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        // One endpoint with the admin group's conventions, not a group of one: a group would add a slash to the route
        // ("/api/v1/audit/"), which the audit records of its refusals name.
        return endpoints.MapGet(pattern, QueryAsync).WithLumoAgentsApiConventions(endpoints, ApiPolicies.Admin, "Audit")
            .WithSummary("Query the audit trail, newest first");
    }

    private static async Task<Results<Ok<AuditPage>, ApiRefusal>> QueryAsync(HttpContext http, IAuditStore store)
    {
        var query = new ApiQuery(http);
        var agent = query.Text("agent");
        var subject = query.Text("subject");
        var actor = query.Text("actor");
        var wanted = query.Choice<AuditOutcome>("outcome");
        var reason = query.Text("reason");
        var from = query.Instant("from");
        var to = query.Instant("to");
        var skip = query.Integer("skip", 0, 0, int.MaxValue);
        var take = query.Integer("take", 50, 1, 200);
        if (from is not null && to is not null && from >= to)
        {
            query.Errors["to"] = ["'to' must be after 'from'."];
        }

        if (!query.IsValid)
        {
            return query.Refusal("The audit query is not valid");
        }

        var records = await store.QueryAsync(new AuditQuery
        {
            AgentId = agent, Subject = subject, Actor = actor, Outcome = wanted, ReasonCode = reason, From = from, To = to,
            Skip = skip, Take = take,
        }, http.RequestAborted);
        return TypedResults.Ok(new AuditPage([.. records.Select(AuditRecordView.From)], skip, take));
    }

    private sealed record AuditPage(
        [property: JsonPropertyName("records")] IReadOnlyList<AuditRecordView> Records,
        [property: JsonPropertyName("skip")] int Skip,
        [property: JsonPropertyName("take")] int Take);

    private sealed record AuditRecordView(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("occurred_at")] DateTimeOffset OccurredAt,
        [property: JsonPropertyName("grant_type")] string GrantType,
        [property: JsonPropertyName("outcome")] string Outcome,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("description")] string? Description,
        [property: JsonPropertyName("client_id")] string? ClientId,
        [property: JsonPropertyName("agent_id")] string? AgentId,
        [property: JsonPropertyName("subject")] string? Subject,
        [property: JsonPropertyName("act")] JsonElement? Act,
        [property: JsonPropertyName("chain")] string? Chain,
        [property: JsonPropertyName("chain_depth")] int ChainDepth,
        [property: JsonPropertyName("scopes_requested")] string? ScopesRequested,
        [property: JsonPropertyName("scopes_granted")] string? ScopesGranted,
        [property: JsonPropertyName("audiences")] string? Audiences,
        [property: JsonPropertyName("token_id")] string? TokenId,
        [property: JsonPropertyName("client_ip")] string? ClientIp,
        [property: JsonPropertyName("workload")] WorkloadView? Workload)
    {
        public static AuditRecordView From(AuditRecord r) => new(
            r.Id, r.OccurredAt, r.GrantType, r.Outcome.ToString().ToLowerInvariant(), r.ReasonCode, r.Error, r.Description, r.ClientId, r.AgentId, r.Subject,
            r.ActorChain is null ? null : JsonSerializer.Deserialize<JsonElement>(r.ActorChain), r.ChainDescription, r.ChainDepth, r.ScopesRequested,
            r.ScopesGranted, r.Audiences, r.TokenId, r.ClientIp, r.WorkloadIssuer is null && r.WorkloadSubject is null ? null : new WorkloadView(r.WorkloadIssuer, r.WorkloadSubject));
    }

    private sealed record WorkloadView([property: JsonPropertyName("iss")] string? Issuer, [property: JsonPropertyName("sub")] string? Subject);
}
