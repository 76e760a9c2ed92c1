using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Antiforgery;
using LumoAuth.Agents.SampleHost.Pages.Admin;
using Microsoft.AspNetCore.Identity;

namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>Login, logout, and the user's list of consents with a withdraw button.</summary>
internal static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/login", (HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
            LoginPage(http, antiforgery, LocalUrl.IsLocal(returnUrl) ? returnUrl : null, error: null));

        app.MapPost("/account/login", async (HttpContext http, IAntiforgery antiforgery, SignInManager<IdentityUser> signIn) =>
        {
            if (await FormReader.TryReadAsync(http) is not { } form || !await antiforgery.IsRequestValidAsync(http))
            {
                return LoginPage(http, antiforgery, null, "The form expired or could not be read; please sign in again.");
            }

            var returnUrl = LocalUrl.IsLocal(form["returnUrl"].ToString()) ? form["returnUrl"].ToString() : null;
            var userName = form["username"].ToString();
            var password = form["password"].ToString();

            // A name or password with a control character matches no account; asking the store would only hand the
            // database a value some providers refuse (PostgreSQL text cannot hold NUL).
            if (userName.Any(char.IsControl) || password.Any(char.IsControl)
                || !(await signIn.PasswordSignInAsync(userName, password, isPersistent: false, lockoutOnFailure: true)).Succeeded)
            {
                return LoginPage(http, antiforgery, returnUrl, "Unknown user name or wrong password.");
            }

            return Results.LocalRedirect(LocalUrl.OrDefault(returnUrl));
        });

        app.MapPost("/account/logout", async (HttpContext http, IAntiforgery antiforgery, SignInManager<IdentityUser> signIn) =>
        {
            if (await FormReader.TryReadAsync(http) is null || !await antiforgery.IsRequestValidAsync(http))
            {
                return Results.Problem("The form expired, could not be read or was not sent by this server. Open the page again.", statusCode: StatusCodes.Status400BadRequest);
            }

            await signIn.SignOutAsync();
            return Results.LocalRedirect("/account/login");
        });

        app.MapGet("/account/consents", async (HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, IConsentStore consents, IConfiguration configuration) =>
        {
            var user = await users.GetUserAsync(http.User);
            if (user is null)
            {
                return Results.Redirect("/account/login?returnUrl=%2Faccount%2Fconsents");
            }

            var tokens = antiforgery.GetAndStoreTokens(http);
            var rows = (await consents.ListAsync(SubjectIdentifier.ForUser(user.Id), http.RequestAborted))
                .Select(c => $"<li><b>{Html.Encode(c.AgentId)}</b>: <code>{Html.Encode(c.Scopes.ToString())}</code> " +
                             (c.IsActive
                                 ? $"<form method=\"post\" action=\"/account/consents/{Uri.EscapeDataString(c.AgentId)}/withdraw\" style=\"display:inline\">{Html.Hidden(tokens.FormFieldName, tokens.RequestToken)}<button>Withdraw</button></form>"
                                 : $"(withdrawn {c.WithdrawnAt:u})") + "</li>");
            var admin = SampleAdministrators.Includes(configuration, user.UserName)
                ? "<p>Administrator: see <a href=\"/admin/agents\">all agents</a> and the <a href=\"/admin/audit\">audit trail</a>.</p>"
                : "";
            return Html.Page($"Consents of {user.UserName}", $"<ul>{string.Join("", rows)}</ul>{admin}");
        });

        app.MapPost("/account/consents/{agentId}/withdraw", async (string agentId, HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, ConsentRegistry consents) =>
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

            await consents.WithdrawAsync(SubjectIdentifier.ForUser(user.Id), agentId,
                new LumoAuth.Agents.Audit.AuditContext { ClientIp = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
            return Results.LocalRedirect("/account/consents");
        });
    }

    private static IResult LoginPage(HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);

        // The local-trial hint only where trials run: a Production page never shows a password.
        var hint = http.RequestServices.GetRequiredService<IWebHostEnvironment>().IsDevelopment()
            ? $"<p>Local trial user: <code>alice</code> / <code>{DemoPassword}</code></p>"
            : string.Empty;
        return Html.Page("Sign in", $"""
            {(error is null ? "" : $"<p role=\"alert\" style=\"color:#b00\">{Html.Encode(error)}</p>")}
            <form method="post" action="/account/login">
              {Html.Hidden(tokens.FormFieldName, tokens.RequestToken)}
              {Html.Hidden("returnUrl", returnUrl)}
              <label>User name <input name="username" autocomplete="username" required></label><br>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label><br>
              <button type="submit">Sign in</button>
            </form>
            {hint}
            """, error is null ? 200 : 400);
    }

    private const string DemoPassword = Data.DemoSeeder.AlicePassword;
}
