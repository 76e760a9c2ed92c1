using System.Security.Claims;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The smallest authorization endpoint the user flow needs: no login page and no consent page. The user named by
/// <c>login_hint</c> (else <see cref="TestTenant.DefaultUser"/>) is signed in at once and consents to what was asked,
/// recorded through the pack's consent registry exactly as a real consent page records it. OpenIddict and the pack
/// have checked the request (client, redirect URI, PKCE, parameters) before it gets here.
/// </summary>
public static class TestAuthorizationEndpoint
{
    public const string Path = "/connect/authorize";

    public static void MapTestAuthorization(this IEndpointRouteBuilder app) =>
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);

    private static async Task<IResult> AuthorizeAsync(HttpContext http, ConsentRegistry consents, IAgentStore agents, IOptionsMonitor<LumoAgentsOptions> options)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var user = string.IsNullOrEmpty(request.LoginHint) ? TestTenant.DefaultUser : request.LoginHint;
        var subject = SubjectIdentifier.ForUser(user);
        var scopes = ScopeSet.Parse(request.Scope);
        if (await agents.FindAsync(request.ClientId!, http.RequestAborted) is not null)
        {
            // The consent an agent needs to act for the user; the host's other clients (users' own apps) need none here.
            await consents.GrantAsync(subject, request.ClientId!, scopes,
                new AuditContext { ClientId = request.ClientId, ClientIp = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject).SetClaim(Claims.Name, user);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(scopes);
        if (options.CurrentValue.DefaultAudience is { } audience)
        {
            principal.SetAudiences(audience);
        }

        principal.SetDestinations(claim => claim.Type == Claims.Name ? [Destinations.AccessToken, Destinations.IdentityToken] : [Destinations.AccessToken]);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }
}
