using System.Text.Json;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Tokens;
using LumoAuth.Agents.Shared;

namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>
/// <c>request_type=refresh</c>: a refresh token issued to this agent, signed for with the key it is bound to, gives a
/// new auth token for the same resource and scopes, decided again as if the resource token were presented anew.
/// </summary>
internal sealed class RefreshRequestHandler(AAuthPolicy policy, AAuthTokenService tokens, AAuthTokenMinter minter, TimeProvider time) : IAAuthRequestHandler
{
    public string RequestType => AAuthConstants.RequestRefresh;

    public async ValueTask<AAuthOutcome> HandleAsync(AAuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (refresh, refreshError) = await tokens.ValidateOwnAsync(request.Parameter("refresh_token"), AAuthConstants.RefreshTokenType, request.Issuer, request.Issuer);
        if (refresh is null || !TokenFactsReader.TryRead(refresh, out var facts) || AAuthJwt.ClaimString(refresh, "client_id") != request.Agent.Id)
        {
            return AAuthOutcome.Refused(AgentErrorCodes.RefreshTokenInvalid, OAuthErrors.InvalidGrant, $"The refresh token is refused: {refreshError ?? "it was not issued to this agent"}.");
        }

        if (AAuthJwt.ClaimJson(refresh, "cnf") is not { ValueKind: JsonValueKind.Object } cnf || !cnf.TryGetProperty("jkt", out var jkt) || jkt.GetString() != request.KeyThumbprint)
        {
            return AAuthOutcome.Refused(AgentErrorCodes.KeyBindingMismatch, OAuthErrors.InvalidGrant, "The refresh token is bound to another key than the one this request is signed with.");
        }

        var resource = request.Options.Resources.FirstOrDefault(r => r.Identifier?.AbsoluteUri == AAuthJwt.ClaimString(refresh, AAuthConstants.ResourceClaim));
        if (resource is null)
        {
            return AAuthOutcome.Refused(AgentErrorCodes.ResourceUnknown, OAuthErrors.InvalidTarget, "The refresh token's resource is no longer known here.");
        }

        // Refresh tokens are issued for an agent's own auth tokens only (never after an exchange), so there is no chain.
        var resourceRequest = new ResourceRequest(resource, facts.Scopes, facts.ExpiresAt ?? time.GetUtcNow());
        var decision = await policy.DecideAuthAsync(request.Agent, resourceRequest, request.RequestedScopes, null, cancellationToken);
        return await minter.AuthTokenAsync(request, decision, resourceRequest, withRefreshToken: false, cancellationToken);
    }
}
