using LumoAuth.Agents.AAuth;

namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>
/// <c>request_type=auth</c>: agent token + the resource token a resource minted for this agent and key + scope give an
/// auth token for that resource, bound to the key, with a refresh token.
/// </summary>
internal sealed class AuthRequestHandler(AAuthPolicy policy, AAuthTokenMinter minter) : IAAuthRequestHandler
{
    public string RequestType => AAuthConstants.RequestAuth;

    public async ValueTask<AAuthOutcome> HandleAsync(AAuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (resource, refusal) = await ResourceTokenReader.ReadAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        var decision = await policy.DecideAuthAsync(request.Agent, resource!, request.RequestedScopes, null, cancellationToken);
        return await minter.AuthTokenAsync(request, decision, resource!, withRefreshToken: true, cancellationToken);
    }
}
