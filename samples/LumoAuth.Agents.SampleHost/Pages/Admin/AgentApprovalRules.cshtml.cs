using System.Globalization;
using LumoAuth.Agents.Approvals;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.SampleHost.Endpoints;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>
/// Sets or removes one of an agent's approval rules from its card (a capability that needs the user's approval of each
/// use, and how long one approval lasts): the same registry, validation and audit record (<c>admin:update</c>) as the
/// admin API's <c>PATCH</c> with <c>approval_rules</c>. The form carries the version the administrator saw.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class AgentApprovalRulesModel(IAntiforgery antiforgery, IAgentRegistry registry, AuditTrail audit, UserManager<IdentityUser> users) : PageModel
{
    public async Task<IActionResult> OnPostAsync([FromRoute] string id, CancellationToken cancellationToken)
    {
        if (await FormReader.TryReadAsync(HttpContext) is not { } form || !await antiforgery.IsRequestValidAsync(HttpContext))
        {
            return Message(StatusCodes.Status400BadRequest, "The form expired", "The form expired or was not sent by this server. Nothing was changed; reload the agents page and try again.");
        }

        var agent = await registry.FindAsync(id, cancellationToken);
        if (agent is null)
        {
            return Message(StatusCodes.Status404NotFound, "Unknown agent", $"No agent '{id}' is registered. Nothing was changed.");
        }

        var capability = form["capability"].ToString();
        var remove = form["remove"].Count > 0;
        var rules = agent.ApprovalRules.Where(r => r.Capability != capability).ToList();
        if (!remove)
        {
            if (!int.TryParse(form["minutes"], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) || minutes > 24 * 60)
            {
                return Message(StatusCodes.Status400BadRequest, "Not a duration", "How long an approval lasts is a whole number of minutes from 0 (one token) to 1440. Nothing was changed.");
            }

            rules.Add(new ApprovalRule(capability, TimeSpan.FromMinutes(minutes)));
        }

        var context = new AuditContext
        {
            ClientId = SubjectIdentifier.ForUser(users.GetUserId(User)!),
            ClientIp = HttpContext.Connection.RemoteIpAddress?.ToString(),
        };
        var update = AgentRegistration.FromProfile(agent);
        update.ApprovalRules = rules;
        var version = form["version"].ToString();
        if (version != agent.Version)
        {
            return Message(StatusCodes.Status412PreconditionFailed, "The agent changed", $"Agent '{id}' changed since this page was loaded. Nothing was changed; reload the agents page.");
        }

        var result = await registry.UpdateAsync(update, version, cancellationToken);
        if (result.Conflict)
        {
            return Message(StatusCodes.Status412PreconditionFailed, "The agent changed", $"Agent '{id}' changed since this page was loaded. Nothing was changed; reload the agents page.");
        }

        if (result.Agent is null)
        {
            var problem = string.Join(" ", result.Errors.Select(e => e.Message));
            await audit.RecordAdminAsync("update", id, new Errors.AgentError(Errors.AgentErrorCodes.RegistrationInvalid, Errors.OAuthErrors.InvalidRequest, problem), context, cancellationToken);
            return Message(StatusCodes.Status400BadRequest, "The rule was refused", problem + " Nothing was changed.");
        }

        await audit.RecordAdminAsync("update", id, null, context, cancellationToken);
        return LocalRedirect("/admin/agents#agent-" + Uri.EscapeDataString(id));
    }

    private PartialViewResult Message(int statusCode, string title, string text) => new PageMessage(title, text).ToResult(statusCode, MetadataProvider);
}
