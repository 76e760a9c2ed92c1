using System.Security.Claims;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>
/// The authorization endpoint: the user signs in, sees which agent asks to act for them and for which scopes,
/// and consents (recorded in the consent store that delegation checks) or refuses. An agent can only ask for
/// scopes among its capabilities. A user's own app (an MCP client registered by its metadata document, say) is shown
/// with the resources it asks for; where an agent serves such a resource (an MCP server that calls APIs for its
/// callers), allowing the app also allows that agent to act for the user, and the page says so.
/// </summary>
internal static class AuthorizationEndpoints
{
    private static readonly ScopeSet OpenIdScopes = new([OpenIddictConstants.Scopes.OpenId, OpenIddictConstants.Scopes.OfflineAccess]);

    public static void MapAuthorizationEndpoints(this IEndpointRouteBuilder app, params string[] paths)
    {
        foreach (var path in paths)
        {
            app.MapMethods(path, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        }

        app.MapGet("/callback", (string? code, string? state, string? error) => Html.Page("Authorization response",
            error is not null
                ? $"<p>Error: <code>{Html.Encode(error)}</code></p>"
                : $"<p>Authorization code: <code>{Html.Encode(code)}</code></p><p>State: <code>{Html.Encode(state)}</code></p><p>Redeem it at the token endpoint with <code>grant_type=authorization_code</code>, the agent's credentials and your PKCE verifier.</p>"));
    }

    private static async Task<IResult> AuthorizeAsync(
        HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, IAgentStore agents,
        IConsentStore consents, ConsentRegistry consentRegistry, IOptionsMonitor<LumoAgentsOptions> options, IOpenIddictApplicationManager applications)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var user = await users.GetUserAsync(http.User);
        if (user is null || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(OpenIddictConstants.Errors.LoginRequired, "The user is not signed in.");
            }

            // Back to this request after the sign-in, without prompt=login (or the user would be sent to sign in again
            // and again) but with every other prompt: prompt=consent must still show the consent page afterwards.
            var prompts = (request.Prompt ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => p != PromptValues.Login).ToArray();
            return Results.Challenge(new AuthenticationProperties
            {
                RedirectUri = http.Request.PathBase + http.Request.Path + QueryString.Create(
                    request.GetParameters().Where(p => p.Key != Parameters.Prompt).Select(p => KeyValuePair.Create(p.Key, (string?)p.Value))
                        .Concat(prompts.Length > 0 ? [KeyValuePair.Create(Parameters.Prompt, (string?)string.Join(' ', prompts))] : [])),
            }, [IdentityConstants.ApplicationScheme]);
        }

        var requested = ScopeSet.Parse(request.Scope);
        var agent = await agents.FindAsync(request.ClientId!, http.RequestAborted);
        if (agent is null)
        {
            return await AuthorizeAppAsync(http, antiforgery, request, requested, user, agents, consentRegistry, options.CurrentValue, applications);
        }

        if (agent.Status != AgentStatus.Active)
        {
            return Forbid(OpenIddictConstants.Errors.UnauthorizedClient, $"The agent '{agent.Id}' is not active.");
        }

        // An agent may ask for its capabilities (never delegate:user, which is its own, not the user's) and for the
        // OpenID Connect scopes that concern the sign-in itself.
        var beyond = requested.Except(agent.Capabilities.Union(OpenIdScopes)).Union(requested.Intersect(new ScopeSet([AgentCapabilities.DelegateUser])));
        if (beyond.Count > 0)
        {
            return Forbid(OpenIddictConstants.Errors.InvalidScope, $"The agent '{agent.Id}' cannot be granted: {beyond}.");
        }

        var subject = SubjectIdentifier.ForUser(user.Id);
        var existing = await consents.FindActiveAsync(subject, agent.Id, http.RequestAborted);
        var alreadyConsented = existing is not null && requested.IsSubsetOf(existing.Scopes) && !request.HasPromptValue(PromptValues.Consent);

        // The consent page posts back without prompt (so it is shown once), and its answer is final: a "Deny" counts
        // even where an earlier consent would have covered the request.
        var answered = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType && http.Request.Form.ContainsKey("decision");
        if (!alreadyConsented || answered)
        {
            if (!answered)
            {
                return ConsentPage(http, antiforgery, request, agent, requested, user);
            }

            if (!await antiforgery.IsRequestValidAsync(http))
            {
                return Html.Page("Consent expired", "<p>The consent form expired or was not sent by this server. Start again from the agent.</p>", 400);
            }

            if (http.Request.Form["decision"] != "accept")
            {
                return Forbid(OpenIddictConstants.Errors.AccessDenied, "The user refused to let the agent act for them.");
            }

            await consentRegistry.GrantAsync(subject, agent.Id, requested,
                new AuditContext { ClientId = agent.Id, ClientIp = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
        }

        return SignIn(subject, user, requested, options.CurrentValue);
    }

    /// <summary>The user's sign-in with the scopes allowed; the pack narrows the audiences to the resources asked for.</summary>
    private static IResult SignIn(string subject, IdentityUser user, ScopeSet scopes, LumoAgentsOptions options)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject).SetClaim(Claims.Name, user.UserName);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(scopes);
        if (options.DefaultAudience is { } audience)
        {
            principal.SetAudiences(audience);
        }

        principal.SetDestinations(claim => claim.Type == Claims.Name ? [Destinations.AccessToken, Destinations.IdentityToken] : [Destinations.AccessToken]);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    /// <summary>
    /// A user's own app, not an agent: OpenIddict and the pack have checked it (its registration or metadata document,
    /// redirect URI, PKCE, scopes and resources). The page names it, what it asks for, and the agents that serve the
    /// resources it asks for; allowing records the user's consent for those agents, with the scopes they can use.
    /// </summary>
    private static async Task<IResult> AuthorizeAppAsync(HttpContext http, IAntiforgery antiforgery, OpenIddictRequest request, ScopeSet requested,
        IdentityUser user, IAgentStore agents, ConsentRegistry consentRegistry, LumoAgentsOptions options, IOpenIddictApplicationManager applications)
    {
        if (await applications.FindByClientIdAsync(request.ClientId!, http.RequestAborted) is not { } application)
        {
            return Forbid(OpenIddictConstants.Errors.UnauthorizedClient, "The client is not registered.");
        }

        var asked = request.GetResources();
        var serving = new List<(AgentProfile Agent, ScopeSet Scopes)>();
        foreach (var resource in options.Resources.Where(r => r.Agent is not null && asked.Contains(r.Identifier)))
        {
            if (await agents.FindAsync(resource.Agent!, http.RequestAborted) is { Status: AgentStatus.Active } server)
            {
                serving.Add((server, requested.Intersect(server.Capabilities).Except(new ScopeSet([AgentCapabilities.DelegateUser]))));
            }
        }

        var answered = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType && http.Request.Form.ContainsKey("decision");
        if (!answered)
        {
            var name = await applications.GetDisplayNameAsync(application, http.RequestAborted) ?? request.ClientId!;
            return AppConsentPage(http, antiforgery, request, name, requested, serving, user);
        }

        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Html.Page("Consent expired", "<p>The consent form expired or was not sent by this server. Start again from the app.</p>", 400);
        }

        if (http.Request.Form["decision"] != "accept")
        {
            return Forbid(OpenIddictConstants.Errors.AccessDenied, "The user refused the app.");
        }

        var subject = SubjectIdentifier.ForUser(user.Id);
        foreach (var (server, scopes) in serving.Where(s => s.Scopes.Count > 0))
        {
            await consentRegistry.GrantAsync(subject, server.Id, scopes,
                new AuditContext { ClientId = request.ClientId, ClientIp = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
        }

        return SignIn(subject, user, requested, options);
    }

    private static IResult AppConsentPage(HttpContext http, IAntiforgery antiforgery, OpenIddictRequest request, string name, ScopeSet requested,
        List<(AgentProfile Agent, ScopeSet Scopes)> serving, IdentityUser user)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var hidden = string.Concat(request.GetParameters().Where(p => p.Key != Parameters.Prompt).Select(p => Html.Hidden(p.Key, (string?)p.Value)));
        var origin = Uri.TryCreate(request.ClientId, UriKind.Absolute, out var url) ? $" from <code>{Html.Encode(url.Host)}</code>" : string.Empty;
        var agentsLine = serving.Count == 0 ? string.Empty : "<p>These services will act for you to answer it:</p><ul>" + string.Concat(serving.Select(s =>
            $"<li><b>{Html.Encode(s.Agent.DisplayName)}</b> (owned by {Html.Encode(s.Agent.Owner)}) with {Html.Encode(s.Scopes.Count == 0 ? "nothing" : s.Scopes.ToString())}</li>")) + "</ul>";
        return Html.Page("Allow an app to use your account?", $"""
            <p><b>{Html.Encode(name)}</b>{origin} asks to use your account, <b>{Html.Encode(user.UserName)}</b>, with:</p>
            <ul>{string.Concat(requested.Select(s => $"<li><code>{Html.Encode(s)}</code></li>"))}</ul>
            {agentsLine}
            <p>You can withdraw what services may do for you at any time under <a href="/account/consents">your consents</a>.</p>
            <form method="post">
              {Html.Hidden(tokens.FormFieldName, tokens.RequestToken)}{hidden}
              <button name="decision" value="accept">Allow</button>
              <button name="decision" value="deny">Deny</button>
            </form>
            """);
    }

    private static IResult ConsentPage(HttpContext http, IAntiforgery antiforgery, OpenIddictRequest request, AgentProfile agent, ScopeSet requested, IdentityUser user)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var hidden = string.Concat(request.GetParameters()
            .Where(p => p.Key != Parameters.Prompt)
            .Select(p => Html.Hidden(p.Key, (string?)p.Value)));
        var tools = agent.AllowedTools.Count == 0 ? "none" : string.Join(", ", agent.AllowedTools.Order(StringComparer.Ordinal));
        return Html.Page("Allow an agent to act for you?", $"""
            <p><b>{Html.Encode(agent.DisplayName)}</b> (owned by {Html.Encode(agent.Owner)}) asks to act for <b>{Html.Encode(user.UserName)}</b> with:</p>
            <ul>{string.Concat(requested.Select(s => $"<li><code>{Html.Encode(s)}</code></li>"))}</ul>
            <p>It may pass this on to its tools: {Html.Encode(tools)}. You can withdraw this at any time under <a href="/account/consents">your consents</a>.</p>
            <form method="post">
              {Html.Hidden(tokens.FormFieldName, tokens.RequestToken)}{hidden}
              <button name="decision" value="accept">Allow</button>
              <button name="decision" value="deny">Deny</button>
            </form>
            """);
    }

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
