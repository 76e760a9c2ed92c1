using LumoAuth.Agents.AAuth;

namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>
/// <c>request_type=agent</c>: a registered agent signing with a key it enrolled gets an agent token bound to that key
/// (<c>cnf.jwk</c>), which it then conveys with every other request.
/// </summary>
internal sealed class AgentRequestHandler(AAuthPolicy policy, AAuthTokenMinter minter) : IAAuthRequestHandler
{
    public string RequestType => AAuthConstants.RequestAgent;

    public ValueTask<AAuthOutcome> HandleAsync(AAuthRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = policy.DecideAgentToken(request.Agent, request.Options.AgentTokenLifetime);
        return ValueTask.FromResult(minter.AgentToken(request, decision));
    }
}
