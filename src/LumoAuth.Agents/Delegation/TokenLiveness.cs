using LumoAuth.Agents.Agents;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Subjects;

namespace LumoAuth.Agents.Delegation;

/// <summary>
/// Whether a token issued earlier may still be honoured: every agent it names (subject, client, anyone in the actor
/// chain) is still active, and the user's consent that allowed it is still in force. Revoking or suspending an
/// agent, or withdrawing consent, thus stops its tokens at once wherever they are introspected.
/// </summary>
public class TokenLiveness
{
    private readonly IAgentStore _agents;
    private readonly IConsentStore _consents;

    /// <summary>Creates the check.</summary>
    public TokenLiveness(IAgentStore agents, IConsentStore consents)
    {
        _agents = agents;
        _consents = consents;
    }

    /// <summary>The reason the token is no longer live, or <see langword="null"/> when it is.</summary>
    public virtual async ValueTask<AgentError?> CheckAsync(TokenFacts token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var agentIds = token.Chain.Select(a => a.Subject).Append(token.Subject)
            .Select(s => SubjectIdentifier.TryGetAgentId(s, out var id) ? id : null)
            .Append(token.ClientId)
            .Where(id => id is not null)
            .Distinct(StringComparer.Ordinal);
        foreach (var id in agentIds)
        {
            var agent = await _agents.FindAsync(id!, cancellationToken);
            if (agent is not null && agent.Status != AgentStatus.Active)
            {
                return new AgentError(agent.Status == AgentStatus.Suspended ? AgentErrorCodes.AgentSuspended : AgentErrorCodes.AgentRevoked,
                    OAuthErrors.InvalidGrant, $"The agent '{id}' named by the token is {agent.Status.ToString().ToLowerInvariant()}.");
            }
        }

        if (!SubjectIdentifier.IsUser(token.Subject))
        {
            return null;
        }

        // The agent the user consented to: the first actor of a delegated token, or the agent the user's token was issued to.
        var consentedAgent = token.Chain.Origin is { } origin && SubjectIdentifier.TryGetAgentId(origin.Subject, out var originId)
            ? originId
            : token.ClientId;
        if (consentedAgent is null || await _agents.FindAsync(consentedAgent, cancellationToken) is null)
        {
            return null; // a user's token for a client that is not an agent: not ours to judge
        }

        return await _consents.FindActiveAsync(token.Subject, consentedAgent, cancellationToken) is null
            ? new AgentError(AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant, $"The user withdrew the consent to agent '{consentedAgent}' that this token relies on.")
            : null;
    }
}
