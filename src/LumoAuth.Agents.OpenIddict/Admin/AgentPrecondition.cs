using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>
/// RFC 9110 preconditions of the admin API's changes, so concurrent changes are not lost. An agent's ETag is its
/// version. A change needs <c>If-Match</c> (428 without it) and applies only while a tag in it matches, compared strongly
/// (<c>*</c> matches any; weak tags never match), and while the agent is still at that version (412 otherwise).
/// </summary>
/// <remarks>
/// The filter (<see cref="FilterAsync"/>) finds the agent (404) and asks for <c>If-Match</c> before the handler
/// runs; the handler compares the tags (<see cref="Matches"/>) after its own checks of the request, so a bad body is
/// still answered as such whatever the tag.
/// </remarks>
internal sealed class AgentPrecondition(string agentId, AgentProfile current, string ifMatch)
{
    /// <summary>The agent as it was when the request came.</summary>
    public AgentProfile Current => current;

    /// <summary>True when a tag of <c>If-Match</c> names <see cref="Current"/>.</summary>
    public bool Matches => ifMatch.Trim() == "*" ||
        ifMatch.Split(',').Select(t => t.Trim()).Any(t => !t.StartsWith("W/", StringComparison.Ordinal) && t == ETag(current));

    /// <summary>The strong entity tag of <paramref name="agent"/>.</summary>
    public static string ETag(AgentProfile agent) => $"\"{agent.Version}\"";

    /// <summary>The precondition the filter checked for this request.</summary>
    public static AgentPrecondition Of(HttpContext http) => http.Features.GetRequiredFeature<AgentPrecondition>();

    /// <summary>412: the agent changed since the tag the caller sent.</summary>
    public ApiRefusal Failed() =>
        new(StatusCodes.Status412PreconditionFailed, AgentErrorCodes.PreconditionFailed, "The agent changed", $"Agent '{agentId}' changed since the given ETag; GET it again.")
        {
            AgentId = agentId,
            AuditDescription = "The agent changed since the given ETag.",
        };

    /// <summary>The filter of a change of the agent named by the route's <c>id</c>.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var id = http.Request.RouteValues["id"] as string ?? string.Empty;
        var agent = await http.RequestServices.GetRequiredService<IAgentRegistry>().FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return AdminConventions.AgentUnknown(id).ToResult(http);
        }

        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            return new ApiRefusal(StatusCodes.Status428PreconditionRequired, AgentErrorCodes.PreconditionRequired, "If-Match required",
                $"Send If-Match with the ETag of agent '{id}' from GET, so concurrent changes are not lost.")
            {
                AgentId = id,
                AuditDescription = "If-Match is required.",
            };
        }

        http.Features.Set(new AgentPrecondition(id, agent, ifMatch));
        return await next(context);
    }
}
