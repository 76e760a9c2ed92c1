using System.Diagnostics.CodeAnalysis;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
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
        return endpoints.MapGet(pattern, QueryAsync).WithLumoAgentsApiConventions(endpoints);
    }

    private static async Task<IResult> QueryAsync(HttpContext http, IAuditStore store)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, LumoAgentsAdminEndpoints.AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

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
            var bad = new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.QueryInvalid, "The audit query is not valid",
                $"These parameters are not valid: {string.Join(", ", query.Errors.Keys)}.", query.Errors);
            await ScopedBearer.AuditAsync(http, principal, bad.Code, OAuthErrors.InvalidRequest, bad.Describe());
            return bad.ToResult(http);
        }

        var records = await store.QueryAsync(new AuditQuery
        {
            AgentId = agent, Subject = subject, Actor = actor, Outcome = wanted, ReasonCode = reason, From = from, To = to,
            Skip = skip, Take = take,
        }, http.RequestAborted);
        return Results.Json(new
        {
            records = records.Select(r => new
            {
                id = r.Id,
                occurred_at = r.OccurredAt,
                grant_type = r.GrantType,
                outcome = r.Outcome.ToString().ToLowerInvariant(),
                reason = r.ReasonCode,
                error = r.Error,
                description = r.Description,
                client_id = r.ClientId,
                agent_id = r.AgentId,
                subject = r.Subject,
                act = r.ActorChain is null ? (System.Text.Json.JsonElement?)null : System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(r.ActorChain),
                chain = r.ChainDescription,
                chain_depth = r.ChainDepth,
                scopes_requested = r.ScopesRequested,
                scopes_granted = r.ScopesGranted,
                audiences = r.Audiences,
                token_id = r.TokenId,
                client_ip = r.ClientIp,
                workload = r.WorkloadIssuer is null && r.WorkloadSubject is null ? null : new { iss = r.WorkloadIssuer, sub = r.WorkloadSubject },
            }),
            skip,
            take,
        });
    }
}
