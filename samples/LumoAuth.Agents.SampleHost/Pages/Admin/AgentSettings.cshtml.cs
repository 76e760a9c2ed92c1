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
/// Changes one setting of an agent from its card, through the same registry, validation and audit record
/// (<c>admin:update</c>) as the admin API's <c>PATCH</c>: <c>approval-rules</c> sets or removes one approval rule (a
/// capability that needs the user's approval of each use, and how long one approval lasts); <c>sender-constrained</c>
/// turns DPoP-bound tokens only on or off. The form carries the version the administrator saw.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class AgentSettingsModel(IAntiforgery antiforgery, IAgentRegistry registry, AuditTrail audit, UserManager<IdentityUser> users) : PageModel
{
    public async Task<IActionResult> OnPostAsync([FromRoute] string id, [FromRoute] string setting, CancellationToken cancellationToken)
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

        var update = AgentRegistration.FromProfile(agent);
        if (setting == "sender-constrained")
        {
            if (!bool.TryParse(form["require"], out var require))
            {
                return Message(StatusCodes.Status400BadRequest, "Not a choice", "Say whether the agent gets DPoP-bound tokens only (true or false). Nothing was changed.");
            }

            update.RequireSenderConstrainedTokens = require;
        }
        else
        {
            var capability = form["capability"].ToString();
            var rules = agent.ApprovalRules.Where(r => r.Capability != capability).ToList();
            if (form["remove"].Count == 0)
            {
                if (!int.TryParse(form["minutes"], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) || minutes > 24 * 60)
                {
                    return Message(StatusCodes.Status400BadRequest, "Not a duration", "How long an approval lasts is a whole number of minutes from 0 (one token) to 1440. Nothing was changed.");
                }

                rules.Add(new ApprovalRule(capability, TimeSpan.FromMinutes(minutes)));
            }

            update.ApprovalRules = rules;
        }

        var context = new AuditContext
        {
            ClientId = SubjectIdentifier.ForUser(users.GetUserId(User)!),
            ClientIp = HttpContext.Connection.RemoteIpAddress?.ToString(),
        };
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
