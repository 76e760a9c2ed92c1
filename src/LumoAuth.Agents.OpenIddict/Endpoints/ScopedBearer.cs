using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The pack's APIs accept this server's own access tokens holding one scope: 401 with <c>WWW-Authenticate: Bearer</c>
/// without a valid token, 403 with <c>error="insufficient_scope"</c> (RFC 6750) without the scope, as RFC 9457 problems.
/// </summary>
internal static class ScopedBearer
{
    public static async Task<(ClaimsPrincipal? Principal, IResult? Refusal)> AuthenticateAsync(HttpContext http, string scope)
    {
        var authentication = await http.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (!authentication.Succeeded || authentication.Principal is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return (null, Results.Problem(statusCode: 401, title: "Authentication required", detail: $"Send an access token from this server with the '{scope}' scope."));
        }

        if (!authentication.Principal.HasScope(scope))
        {
            http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
            return (authentication.Principal, Results.Problem(statusCode: 403, title: "Insufficient scope", detail: $"The token lacks the '{scope}' scope."));
        }

        return (authentication.Principal, null);
    }
}
