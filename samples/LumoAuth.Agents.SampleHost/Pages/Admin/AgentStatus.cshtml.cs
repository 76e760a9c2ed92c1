using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.SampleHost.Endpoints;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>
/// Suspend, resume or revoke an agent from its card: the same checks, codes and audit records as the registry admin
/// API. The form carries the version the administrator saw, as the API's <c>If-Match</c> does.
/// </summary>
// The token is checked below, so that a form that expired is answered with a page saying nothing changed rather than
// a bare 400.
[IgnoreAntiforgeryToken]
public sealed class AgentStatusModel(IAntiforgery antiforgery, IAgentRegistry registry, AuditTrail audit, UserManager<IdentityUser> users) : PageModel
{
    /// <summary>The buttons' changes, named as in the registry admin API and its audit records (<c>admin:suspend</c>, …).</summary>
    private static readonly Dictionary<string, AgentStatus> Changes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["suspend"] = AgentStatus.Suspended,
        ["resume"] = AgentStatus.Active,
        ["revoke"] = AgentStatus.Revoked,
    };

    public async Task<IActionResult> OnPostAsync([FromRoute] string id, [FromRoute] string change, CancellationToken cancellationToken)
    {
        // A form the host cannot read (over the limits, a NUL character) is answered as an expired one, never as a 500.
        if (await FormReader.TryReadAsync(HttpContext) is not { } form || !await antiforgery.IsRequestValidAsync(HttpContext))
        {
            return Message(StatusCodes.Status400BadRequest, "The form expired", "The form expired or was not sent by this server. Nothing was changed; reload the agents page and try again.");
        }

        var agent = await registry.FindAsync(id, cancellationToken);
        if (agent is null)
        {
            return Message(StatusCodes.Status404NotFound, "Unknown agent", $"No agent '{id}' is registered. Nothing was changed.");
        }

        // The audit names the change as the route spells it in the API: lower case, whatever the address's case.
        var action = change.ToLowerInvariant();
        var status = Changes[action];
        var context = new AuditContext
        {
            // A person at these pages rather than an OAuth client: the record names them by subject, so the trail says who acted.
            ClientId = SubjectIdentifier.ForUser(users.GetUserId(User)!),
            ClientIp = HttpContext.Connection.RemoteIpAddress?.ToString(),
        };
        var version = form["version"].ToString();
        if (string.IsNullOrEmpty(version))
        {
            await audit.RecordAdminAsync(action, id, new AgentError("precondition_required", OAuthErrors.InvalidRequest, "If-Match is required."), context, cancellationToken);
            return Message(StatusCodes.Status428PreconditionRequired, "The agent's version is missing", $"The form did not say which version of agent '{id}' it was about. Nothing was changed; reload the agents page.");
        }

        try
        {
            if (agent.Status == AgentStatus.Revoked && status != AgentStatus.Revoked)
            {
                return await RevokedAsync();
            }

            if (version != agent.Version || !await registry.SetStatusAsync(id, status, version, cancellationToken))
            {
                await audit.RecordAdminAsync(action, id, new AgentError("precondition_failed", OAuthErrors.InvalidRequest, "The agent changed since the given ETag."), context, cancellationToken);
                return Message(StatusCodes.Status412PreconditionFailed, "The agent changed", $"Agent '{id}' changed since this page was loaded. Nothing was changed; reload the agents page and decide again.");
            }
        }
        catch (InvalidOperationException)
        {
            // Revoked between the read and the change.
            return await RevokedAsync();
        }

        await audit.RecordAdminAsync(action, id, null, context, cancellationToken);
        return LocalRedirect("/admin/agents#agent-" + Uri.EscapeDataString(id));

        async Task<IActionResult> RevokedAsync()
        {
            await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.AgentRevoked, OAuthErrors.InvalidRequest, $"Agent '{id}' is revoked."), context, cancellationToken);
            return Message(StatusCodes.Status409Conflict, "The agent is revoked", $"Agent '{id}' is revoked; a revoked agent cannot be made active again.");
        }
    }

    private PartialViewResult Message(int statusCode, string title, string text) => new PageMessage(title, text).ToResult(statusCode, MetadataProvider);
}
