using System.Security.Claims;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.OpenIddict.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The pack's APIs accept this server's own, still-live access tokens holding one scope: 401 with
/// <c>WWW-Authenticate: Bearer</c> without a valid token, <c>error="invalid_token"</c> for a token naming a stopped
/// agent or withdrawn consent (the revocation cascade applies here as at introspection), 403 with
/// <c>error="insufficient_scope"</c> (RFC 6750) without the scope; RFC 9457 problems, every refusal audited.
/// </summary>
internal static class ScopedBearer
{
    public static async Task<(ClaimsPrincipal? Principal, IResult? Refusal)> AuthenticateAsync(HttpContext http, string scope)
    {
        var authentication = await http.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (!authentication.Succeeded || authentication.Principal is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await AuditAsync(http, null, "invalid_token", "No valid access token from this server.");
            return (null, Results.Problem(statusCode: 401, title: "Authentication required", detail: $"Send an access token from this server with the '{scope}' scope."));
        }

        var principal = authentication.Principal;
        if (TokenFactsReader.TryRead(principal, out var facts, out _) &&
            await http.RequestServices.GetRequiredService<TokenLiveness>().CheckAsync(facts, http.RequestAborted) is { } dead)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await AuditAsync(http, principal, dead.Code, dead.Description);
            return (null, Results.Problem(statusCode: 401, title: "The token is no longer active", detail: "An agent it names is stopped, or the consent it relies on was withdrawn."));
        }

        if (!principal.HasScope(scope))
        {
            http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
            await AuditAsync(http, principal, "insufficient_scope", $"The token lacks the '{scope}' scope.");
            return (principal, Results.Problem(statusCode: 403, title: "Insufficient scope", detail: $"The token lacks the '{scope}' scope."));
        }

        return (principal, null);
    }

    private static ValueTask<AuditRecord> AuditAsync(HttpContext http, ClaimsPrincipal? principal, string code, string description) =>
        http.RequestServices.GetRequiredService<AuditTrail>().RecordProtocolRefusalAsync(
            code == "insufficient_scope" ? "insufficient_scope" : "invalid_token", description, code, new AuditContext
            {
                GrantType = "api:" + http.Request.Method + " " + http.Request.Path,
                ClientId = principal?.GetClaim(OpenIddictConstants.Claims.ClientId),
                ClientIp = http.Connection.RemoteIpAddress?.ToString(),
            }, http.RequestAborted);
}
