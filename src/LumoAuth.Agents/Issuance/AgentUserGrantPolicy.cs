using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Subjects;

namespace LumoAuth.Agents.Issuance;

/// <summary>
/// Re-checks a user's token that an agent redeems as a client (an authorization code or a refresh token): the agent
/// must still be active and the user's consent still in force and wide enough. Without this a suspended agent, or
/// one whose consent was withdrawn, could keep renewing the user's tokens.
/// </summary>
public class AgentUserGrantPolicy
{
    private readonly IAgentStore _agents;
    private readonly IConsentStore _consents;

    /// <summary>Creates the policy.</summary>
    public AgentUserGrantPolicy(IAgentStore agents, IConsentStore consents)
    {
        _agents = agents;
        _consents = consents;
    }

    /// <summary>
    /// Decides the redemption; <see langword="null"/> when the client is not an agent (the host's own rules apply).
    /// </summary>
    /// <param name="clientId">The redeeming client.</param>
    /// <param name="subject">The user the grant is for.</param>
    /// <param name="scopes">The grant's scopes.</param>
    /// <param name="audiences">The grant's audiences and resources.</param>
    /// <param name="issuedAt">When the redeemed code or refresh token was issued: one from before a suspension of the agent or a withdrawal of the consent stays dead.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    public virtual async ValueTask<IssuanceDecision?> DecideAsync(string clientId, string? subject, ScopeSet scopes, IReadOnlyList<string> audiences, DateTimeOffset? issuedAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var agent = await _agents.FindAsync(clientId, cancellationToken);
        if (agent is null)
        {
            return null;
        }

        var decision = new IssuanceDecision { Agent = agent, AgentId = agent.Id, Subject = subject, Scopes = scopes, Audiences = audiences };
        if (AgentChecks.Status(agent, OAuthErrors.InvalidGrant) is { } statusError)
        {
            return decision with { Error = statusError };
        }

        if (Delegation.TokenLiveness.IssuedBefore(issuedAt, agent.TokensNotBefore))
        {
            return decision.Refuse(AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant,
                $"The grant was issued before agent '{agent.Id}' was suspended or revoked; it stays revoked.");
        }

        if (!SubjectIdentifier.IsUser(subject))
        {
            return decision;
        }

        var consent = await _consents.FindActiveAsync(subject!, agent.Id, cancellationToken);
        if (consent is null)
        {
            return decision.Refuse(AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant,
                $"The user has withdrawn their consent to agent '{agent.Id}'.");
        }

        if (Delegation.TokenLiveness.IssuedBefore(issuedAt, consent.TokensNotBefore))
        {
            return decision.Refuse(AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant,
                $"The grant was issued under a consent to agent '{agent.Id}' that the user later withdrew; it stays revoked.");
        }

        var beyond = scopes.Where(s => !AgentCapabilities.Reserved.Contains(s) && !consent.Scopes.Contains(s)).ToList();
        return beyond.Count == 0
            ? decision
            : decision.Refuse(AgentErrorCodes.ScopeNotConsented, OAuthErrors.InvalidGrant,
                $"The scope '{ErrorText.Echo(beyond[0])}' is no longer in the user's consent to agent '{agent.Id}'.");
    }
}
