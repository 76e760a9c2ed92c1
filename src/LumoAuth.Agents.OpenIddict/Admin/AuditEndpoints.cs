using System.Diagnostics.CodeAnalysis;
using LumoAuth.Agents.Audit;
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
    /// (at most 200). Each record carries its chain as JSON and in words.
    /// </summary>
    public static RouteHandlerBuilder MapLumoAgentsAudit(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = "/api/v1/audit")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(pattern, QueryAsync);
    }

    private static async Task<IResult> QueryAsync(HttpContext http, IAuditStore store, string? agent, string? subject, string? actor, string? outcome,
        string? reason, DateTimeOffset? from, DateTimeOffset? to, int? skip, int? take)
    {
        if ((await ScopedBearer.AuthenticateAsync(http, LumoAgentsAdminEndpoints.AdminScope)).Refusal is { } refusal)
        {
            return refusal;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        AuditOutcome? wanted = null;
        if (outcome is not null)
        {
            if (Enum.TryParse<AuditOutcome>(outcome, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(outcome, out _))
            {
                wanted = parsed;
            }
            else
            {
                errors["outcome"] = ["'outcome' must be issued, refused or changed."];
            }
        }

        if (skip is < 0)
        {
            errors["skip"] = ["'skip' must be zero or more."];
        }

        if (take is < 1 or > 200)
        {
            errors["take"] = ["'take' must be between 1 and 200."];
        }

        if (from is not null && to is not null && from >= to)
        {
            errors["to"] = ["'to' must be after 'from'."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The audit query is not valid");
        }

        var records = await store.QueryAsync(new AuditQuery
        {
            AgentId = agent, Subject = subject, Actor = actor, Outcome = wanted, ReasonCode = reason, From = from, To = to,
            Skip = skip ?? 0, Take = take ?? 50,
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
            skip = skip ?? 0,
            take = take ?? 50,
        });
    }
}
