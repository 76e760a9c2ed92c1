using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Tokens;

namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>
/// <c>request_type=exchange</c>: an agent called by another agent, holding the auth token it was called with
/// (<c>subject_token</c>), continues that token's subject and chain to the next resource, as the new current actor.
/// No refresh token: the chain lives no longer than the token it continues.
/// </summary>
internal sealed class ExchangeRequestHandler(AAuthPolicy policy, AAuthTokenService tokens, AAuthTokenMinter minter) : IAAuthRequestHandler
{
    public string RequestType => AAuthConstants.RequestExchange;

    public async ValueTask<AAuthOutcome> HandleAsync(AAuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (resource, refusal) = await ResourceTokenReader.ReadAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        // The upstream auth token was issued to this agent as a resource: its audience is the agent's resource identifier.
        var agent = request.Agent;
        var self = request.Options.Resources.FirstOrDefault(r => r.Id == agent.Id);
        if (self is null)
        {
            return AAuthOutcome.Refused(AgentErrorCodes.UpstreamTokenInvalid, OAuthErrors.InvalidGrant,
                $"The agent '{agent.Id}' is not registered as an AAuth resource, so no auth token can have been issued for it.");
        }

        var (upstreamToken, upstreamError) = await tokens.ValidateOwnAsync(request.Parameter("subject_token"), AAuthConstants.AuthTokenType, request.Issuer, self.Identifier!.AbsoluteUri);
        if (upstreamToken is null || !TokenFactsReader.TryRead(upstreamToken, out TokenFacts? upstream))
        {
            return AAuthOutcome.Refused(AgentErrorCodes.UpstreamTokenInvalid, OAuthErrors.InvalidGrant,
                $"The upstream auth token ('subject_token') is refused: {upstreamError ?? "its act claim is malformed"}.");
        }

        var decision = await policy.DecideAuthAsync(agent, resource!, request.RequestedScopes, upstream, cancellationToken);
        return await minter.AuthTokenAsync(request, decision, resource!, withRefreshToken: false, cancellationToken);
    }
}
