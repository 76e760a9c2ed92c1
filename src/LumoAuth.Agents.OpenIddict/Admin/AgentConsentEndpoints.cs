using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>Users' consents to an agent: list them, and withdraw one.</summary>
internal static class AgentConsentEndpoints
{
    public static async Task<Results<Ok<ConsentList>, ApiRefusal, ProblemHttpResult>> ListAsync(string id, HttpContext http, IAgentStore agents, IConsentStore consents)
    {
        var query = new ApiQuery(http);
        var skip = query.Integer("skip", 0, 0, int.MaxValue);
        var take = query.Integer("take", 50, 1, 100);
        if (!query.IsValid)
        {
            return query.Refusal(AdminConventions.QueryTitle);
        }

        if (await agents.FindAsync(id, http.RequestAborted) is null)
        {
            return AdminConventions.AgentUnknown(id).ToResult(http);
        }

        var page = await consents.ListByAgentAsync(id, skip, take, http.RequestAborted);
        return TypedResults.Ok(new ConsentList([.. page.Select(c => new ConsentView(c.Subject, c.Scopes.ToString(), c.GrantedAt, c.WithdrawnAt, c.IsActive))]));
    }

    /// <summary>The registry records a withdrawal it makes (<c>consent:withdraw</c>); the endpoint's record is of a refusal only.</summary>
    public static async Task<Results<NoContent, ApiRefusal>> WithdrawAsync(string id, string subject, HttpContext http, ConsentRegistry consents)
    {
        if (await consents.WithdrawAsync(subject, id, ApiAudit.Context(http), http.RequestAborted))
        {
            return TypedResults.NoContent();
        }

        return new ApiRefusal(StatusCodes.Status404NotFound, AgentErrorCodes.ConsentMissing, "No consent in force", $"'{subject}' has no consent in force for agent '{id}'.")
        {
            AgentId = id,
            AuditDescription = $"'{subject}' has no consent in force.",
        };
    }
}
