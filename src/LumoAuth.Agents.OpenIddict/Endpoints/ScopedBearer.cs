using System.Globalization;
using System.Security.Claims;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The check every API of the pack owns once, as a filter on its route group: this server's own, still-live access
/// tokens that the API's authorization policy (<see cref="ApiPolicies"/>, named after the scope it requires) accepts,
/// in the <c>Authorization</c> header only (RFC 6750 §2.1; a token in the URL query or a form body is refused with
/// 400 <c>invalid_request</c>, as RFC 6750 §2.3 advises and OAuth 2.1 requires). Without a token: 401 with a bare <c>WWW-Authenticate: Bearer</c>;
/// with a bad, expired or foreign token, or one naming a stopped agent or withdrawn consent: 401 with
/// <c>Bearer error="invalid_token", error_description="…"</c> (RFC 6750 §3); without the scope: 403 with
/// <c>error="insufficient_scope"</c>. Refusals are RFC 9457 problems. Callers without a valid token are rate limited
/// per IP and their refusals aggregated in the audit trail (<see cref="ApiCallerGuard"/>); an authenticated caller's
/// refusal is one audit record each. The caller the policy accepted becomes <see cref="HttpContext.User"/>.
/// </summary>
/// <remarks>
/// A filter rather than <c>RequireAuthorization(policy)</c>: the authorization middleware runs where the host placed
/// it (WebApplication puts it ahead of every middleware the host adds, forwarded headers and exception handling
/// included) and answers through the application's one <c>IAuthorizationMiddlewareResultHandler</c> (which
/// <c>AddLumoAgentsResourceServer</c> replaces), outside the API's failure filter. These answers (RFC 9457 problems,
/// RFC 6750 challenges, a per-IP limit and aggregated audit for callers without a valid token, 503 when a store fails)
/// must not depend on either, so the group's filter evaluates the registered policy itself.
/// </remarks>
internal sealed class ScopedBearer(string scope) : IEndpointFilter
{
    private const string InvalidTokenDescription = "The access token is malformed, expired, revoked or not issued by this server.";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var (principal, refusal) = await AuthenticateAsync(http, scope);
        if (refusal is not null)
        {
            return refusal;
        }

        http.User = principal!;
        return await next(context);
    }

    private static async Task<(ClaimsPrincipal? Principal, IResult? Refusal)> AuthenticateAsync(HttpContext http, string scope)
    {
        var form = await FormCarriesTokenAsync(http);
        if (form is null)
        {
            return (null, await RefuseWithoutTokenAsync(http, null, StatusCodes.Status400BadRequest, AgentErrorCodes.BodyMalformed, "Malformed body",
                "The form body could not be read; these APIs take JSON bodies and the access token in the Authorization header.", challenge: null));
        }

        if (http.Request.Query.ContainsKey(OpenIddictConstants.Parameters.AccessToken) || form is true)
        {
            return (null, await RefuseWithoutTokenAsync(http, null, StatusCodes.Status400BadRequest, AgentErrorCodes.AccessTokenNotInHeader,
                "Access token outside the Authorization header",
                "Send the access token in the Authorization header only; a token in the URL query or a form body is refused (RFC 6750 §2.3, OAuth 2.1). Treat the token as leaked.",
                challenge: null));
        }

        var authentication = await http.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (!authentication.Succeeded || authentication.Principal is null)
        {
            var presented = http.Request.Headers.Authorization.Any(v => v is not null && v.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase));
            return presented
                ? (null, await RefuseWithoutTokenAsync(http, null, StatusCodes.Status401Unauthorized, AgentErrorCodes.AccessTokenInvalid, "Invalid access token",
                    InvalidTokenDescription + $" Send an access token from this server with the '{scope}' scope.", InvalidToken(InvalidTokenDescription)))
                : (null, await RefuseWithoutTokenAsync(http, null, StatusCodes.Status401Unauthorized, AgentErrorCodes.AuthenticationRequired, "Authentication required",
                    $"Send an access token from this server with the '{scope}' scope in the Authorization header.", "Bearer"));
        }

        var principal = authentication.Principal;
        if (TokenFactsReader.TryRead(principal, out var facts, out _) &&
            await http.RequestServices.GetRequiredService<TokenLiveness>().CheckAsync(facts, http.RequestAborted) is { } dead)
        {
            const string description = "The token is no longer active: an agent it names is stopped, or the consent it relies on was withdrawn.";
            return (null, await RefuseWithoutTokenAsync(http, principal, StatusCodes.Status401Unauthorized, dead.Code, "The token is no longer active", description,
                InvalidToken(description), auditDescription: dead.Description));
        }

        if (!await ApiPolicies.AuthorizeAsync(http.RequestServices, principal, scope))
        {
            http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
            await AuditAsync(http, principal, AgentErrorCodes.InsufficientScope, "insufficient_scope", $"The token lacks the '{scope}' scope.");
            return (principal, ApiProblem.Of(http, StatusCodes.Status403Forbidden, AgentErrorCodes.InsufficientScope, "Insufficient scope", $"The token lacks the '{scope}' scope."));
        }

        return (principal, null);
    }

    /// <summary>Records a refusal of an authenticated caller (bad input, conflicts): one audit record each.</summary>
    public static ValueTask<AuditRecord> AuditAsync(HttpContext http, ClaimsPrincipal? principal, string code, string oauthError, string description, string? agentId = null) =>
        http.RequestServices.GetRequiredService<AuditTrail>().RecordProtocolRefusalAsync(oauthError, description, code, new AuditContext
        {
            GrantType = "api:" + http.Request.Method + " " + Route(http),
            ClientId = principal?.GetClaim(OpenIddictConstants.Claims.ClientId),
            AgentId = agentId,
            ClientIp = http.Connection.RemoteIpAddress?.ToString(),
        }, http.RequestAborted);

    /// <summary>The route template, never the raw path: the path may hold anything a caller typed, control characters included.</summary>
    private static string Route(HttpContext http) => (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unrouted)";

    private static string InvalidToken(string description) => $"Bearer error=\"invalid_token\", error_description=\"{description}\"";

    private static async Task<IResult> RefuseWithoutTokenAsync(HttpContext http, ClaimsPrincipal? principal, int status, string code, string title, string detail,
        string? challenge, string? auditDescription = null)
    {
        var guard = http.GetEndpoint()?.Metadata.GetMetadata<ApiCallerGuard>();
        var ip = http.Connection.RemoteIpAddress?.ToString() ?? "(unknown)";
        var (allowed, retryAfter) = guard?.Admit(ip) ?? (true, TimeSpan.Zero);
        if (guard is null || guard.ShouldRecord(ip, rateLimited: !allowed))
        {
            await AuditAsync(http, principal, allowed ? code : AgentErrorCodes.RateLimited, allowed ? OAuthError(status) : "invalid_request",
                allowed ? auditDescription ?? detail : "Too many refused requests without a valid access token from this address.");
        }

        if (!allowed)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
            return ApiProblem.Of(http, StatusCodes.Status429TooManyRequests, AgentErrorCodes.RateLimited, "Too many requests",
                $"Too many refused requests without a valid access token from this address; retry in {seconds} seconds with a valid token.");
        }

        if (challenge is not null)
        {
            http.Response.Headers.WWWAuthenticate = challenge;
        }

        return code == AgentErrorCodes.AccessTokenNotInHeader
            ? ApiProblem.Of(http, status, code, title, detail, new Dictionary<string, string[]> { [OpenIddictConstants.Parameters.AccessToken] = [detail] })
            : ApiProblem.Of(http, status, code, title, detail);
    }

    private static string OAuthError(int status) => status == StatusCodes.Status400BadRequest ? "invalid_request" : "invalid_token";

    /// <summary>True when a form body carries <c>access_token</c>, which OpenIddict's validation would otherwise accept.</summary>
    private static async Task<bool?> FormCarriesTokenAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType)
        {
            return false;
        }

        try
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            return form.ContainsKey(OpenIddictConstants.Parameters.AccessToken);
        }
        catch (Exception exception) when (exception is InvalidDataException or BadHttpRequestException or IOException)
        {
            // Refused before OpenIddict's validation reads the same form and fails the same way.
            return null;
        }
    }
}
