using LumoAuth.Agents.AAuth;

namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>
/// <c>request_type=auth</c>: agent token + the resource token a resource minted for this agent and key + scope give an
/// auth token for that resource, bound to the key, with a refresh token.
/// </summary>
internal sealed class AuthRequestHandler : IAAuthRequestHandler
{
    private readonly AAuthPolicy _policy;
    private readonly AAuthTokenMinter _minter;

    public AuthRequestHandler(AAuthPolicy policy, AAuthTokenMinter minter)
    {
        _policy = policy;
        _minter = minter;
    }

    public string RequestType => AAuthConstants.RequestAuth;

    public async ValueTask<AAuthOutcome> HandleAsync(AAuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (resource, refusal) = await ResourceTokenReader.ReadAsync(request);
        if (refusal is not null)
        {
            return refusal;
        }

        var decision = await _policy.DecideAuthAsync(request.Agent, resource!, request.RequestedScopes, null, cancellationToken);
        return await _minter.AuthTokenAsync(request, decision, resource!, withRefreshToken: true, cancellationToken);
    }
}
