using LumoAuth.Agents.Approvals;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;

namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>
/// The user's approvals page (OpenID CIBA, the authentication device): what agents ask right now, with the agent, its
/// chain in words, the binding message and the details, and Approve and Deny. The list refreshes itself while open.
/// </summary>
internal static class ApprovalEndpoints
{
    public static void MapApprovalEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/approvals", async (HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, ApprovalInbox inbox, IAgentStore agents) =>
        {
            var user = await users.GetUserAsync(http.User);
            if (user is null)
            {
                return Results.Redirect("/account/login?returnUrl=%2Faccount%2Fapprovals");
            }

            var tokens = antiforgery.GetAndStoreTokens(http);
            var now = DateTimeOffset.UtcNow;
            var requests = await inbox.ListAsync(SubjectIdentifier.ForUser(user.Id), Audit(http), http.RequestAborted);
            var rows = new List<string>();
            foreach (var request in requests)
            {
                var agent = await agents.FindAsync(request.AgentId, http.RequestAborted);
                var agentName = agent?.DisplayName ?? request.AgentId;
                var pending = request.Status == ApprovalStatus.Pending && !request.IsExpiredAt(now);
                var state = pending ? "waiting for you" : request.IsExpiredAt(now) ? "expired" : request.Status.ToString().ToLowerInvariant();
                var details = request.AuthorizationDetails is null ? "" : $"<br>Details: <code>{Html.Encode(request.AuthorizationDetails)}</code>";
                var buttons = pending
                    ? $"""
                      <form method="post" action="/account/approvals/{request.Id}/approve" style="display:inline">{Html.Hidden(tokens.FormFieldName, tokens.RequestToken)}<button name="approve">Approve</button></form>
                      <form method="post" action="/account/approvals/{request.Id}/deny" style="display:inline">{Html.Hidden(tokens.FormFieldName, tokens.RequestToken)}<button name="deny">Deny</button></form>
                      """
                    : "";
                rows.Add($"""
                    <li data-approval="{request.Id}" data-state="{state}"><b>{Html.Encode(agentName)}</b>, acting for {Html.Encode(user.UserName)}, asks:
                    <q>{Html.Encode(request.BindingMessage)}</q><br>Capabilities: <code>{Html.Encode(request.Scopes.ToString())}</code>{details}
                    <br><small>{state}; asked {request.CreatedAt:u}, lapses {request.ExpiresAt:u}</small><br>{buttons}</li>
                    """);
            }

            // Updated while open: the page reloads itself every few seconds while nothing is being decided.
            var body = rows.Count == 0 ? "<p>No agent is asking for your approval.</p>" : $"<ul>{string.Join("", rows)}</ul>";
            return Html.Page($"Approvals for {user.UserName}", body + "<script>setTimeout(() => location.reload(), 5000)</script>");
        });

        app.MapPost("/account/approvals/{id}/{decision}", async (string id, string decision, HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, ApprovalInbox inbox) =>
        {
            if (await FormReader.TryReadAsync(http) is null || !await antiforgery.IsRequestValidAsync(http))
            {
                return Results.Problem("The form expired, could not be read or was not sent by this server. Open the page again.", statusCode: StatusCodes.Status400BadRequest);
            }

            var user = await users.GetUserAsync(http.User);
            if (user is null)
            {
                return Results.Unauthorized();
            }

            if (decision is not ("approve" or "deny") || id.Length != 64)
            {
                return Results.NotFound();
            }

            if (!await inbox.DecideAsync(id, SubjectIdentifier.ForUser(user.Id), decision == "approve", Audit(http), http.RequestAborted))
            {
                return Results.Problem("This request is not yours, was already decided or has lapsed.", statusCode: StatusCodes.Status409Conflict);
            }

            return Results.LocalRedirect("/account/approvals");
        });
    }

    private static AuditContext Audit(HttpContext http) => new() { ClientIp = http.Connection.RemoteIpAddress?.ToString() };
}

/// <summary>The sample's users for approval requests: a <c>login_hint</c> is a user name, an e-mail address or a subject.</summary>
internal sealed class SampleUserDirectory(IServiceScopeFactory scopes) : IUserDirectory
{
    public async ValueTask<UserEntry?> FindAsync(string loginHint, CancellationToken cancellationToken)
    {
        if (loginHint.Any(char.IsControl))
        {
            return null;
        }

        using var scope = scopes.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var hint = loginHint.StartsWith(SubjectIdentifier.UserPrefix, StringComparison.Ordinal) ? loginHint[SubjectIdentifier.UserPrefix.Length..] : loginHint;
        var user = await users.FindByNameAsync(hint) ?? (hint.Contains('@', StringComparison.Ordinal) ? await users.FindByEmailAsync(hint) : null) ??
                   (loginHint.StartsWith(SubjectIdentifier.UserPrefix, StringComparison.Ordinal) ? await users.FindByIdAsync(hint) : null);
        return user is null ? null : new UserEntry(SubjectIdentifier.ForUser(user.Id), user.UserName ?? user.Id);
    }
}
