using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>An agent's status: suspend, resume and revoke, each under <see cref="AgentPrecondition"/>.</summary>
internal static class AgentStatusEndpoints
{
    public static Task<Results<AgentChange<Ok<AgentView>>, ApiRefusal>> SuspendAsync(string id, HttpContext http, IAgentRegistry registry) =>
        SetAsync(id, AgentStatus.Suspended, http, registry);

    public static Task<Results<AgentChange<Ok<AgentView>>, ApiRefusal>> ResumeAsync(string id, HttpContext http, IAgentRegistry registry) =>
        SetAsync(id, AgentStatus.Active, http, registry);

    public static Task<Results<AgentChange<Ok<AgentView>>, ApiRefusal>> RevokeAsync(string id, HttpContext http, IAgentRegistry registry) =>
        SetAsync(id, AgentStatus.Revoked, http, registry);

    private static async Task<Results<AgentChange<Ok<AgentView>>, ApiRefusal>> SetAsync(string id, AgentStatus status, HttpContext http, IAgentRegistry registry)
    {
        var precondition = AgentPrecondition.Of(http);
        try
        {
            if (precondition.Current.Status == AgentStatus.Revoked && status != AgentStatus.Revoked)
            {
                return AdminConventions.Revoked(id, "a revoked agent cannot be made active again");
            }

            if (!precondition.Matches || !await registry.SetStatusAsync(id, status, precondition.Current.Version, http.RequestAborted))
            {
                return precondition.Failed();
            }
        }
        catch (InvalidOperationException)
        {
            // Revoked between the read and the change.
            return AdminConventions.Revoked(id, "a revoked agent cannot be made active again");
        }

        return AgentChange.Of(id, async () =>
        {
            var updated = (await registry.FindAsync(id, http.RequestAborted))!;
            http.Response.Headers.ETag = AgentPrecondition.ETag(updated);
            return TypedResults.Ok(AgentView.From(updated));
        });
    }
}
