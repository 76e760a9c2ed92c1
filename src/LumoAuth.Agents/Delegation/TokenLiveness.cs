using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Subjects;

namespace LumoAuth.Agents.Delegation;

/// <summary>
/// Whether a token issued earlier may still be honoured: every agent it names (subject, client, anyone in the actor
/// chain) is still active, the user's consent that allowed it is still in force, and the token was issued after the
/// last suspension or revocation of each of those agents and after the last withdrawal of that consent. Revoking or
/// suspending an agent, or withdrawing consent, thus stops its tokens at once wherever they are checked, and for good:
/// resuming the agent or consenting again brings back none of them (a stop is a security response).
/// </summary>
/// <remarks>
/// Token times are whole seconds (<c>iat</c>), so the rule works to the second: a token issued in the same second as a
/// stop counts as issued before it. A stop undone within its own second (a resume or a new consent in that second)
/// moves the limit back to the previous second, so what is issued after the resume works at once; only tokens from
/// that one second are spared. A token that does not say when it was issued counts as issued before any stop.
/// </remarks>
public class TokenLiveness
{
    /// <summary>How far in the future a token's issue time may be, for clocks that disagree.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(60);

    private readonly IAgentStore _agents;
    private readonly IConsentStore _consents;
    private readonly TimeProvider _time;
    private readonly Approvals.IApprovalStore? _approvals;

    /// <summary>Creates the check; with <paramref name="approvals"/>, tokens issued for a user's approval rest on it.</summary>
    public TokenLiveness(IAgentStore agents, IConsentStore consents, TimeProvider? time = null, Approvals.IApprovalStore? approvals = null)
    {
        _approvals = approvals;
        _agents = agents;
        _consents = consents;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// True when a token issued at <paramref name="issuedAt"/> predates <paramref name="notBefore"/> (to the whole
    /// second, failing closed): the one rule for every stop, agent or consent.
    /// </summary>
    public static bool IssuedBefore(DateTimeOffset? issuedAt, DateTimeOffset? notBefore) =>
        notBefore is { } stop && (issuedAt is not { } issued || issued.ToUnixTimeSeconds() <= stop.ToUnixTimeSeconds());

    /// <summary>
    /// The limit to keep when a stop is undone at <paramref name="now"/> (an agent resumed, a consent given again): the
    /// same, unless the stop was in this very second, in which case the end of the previous second, so tokens issued
    /// after the resume are not caught by the stop's second.
    /// </summary>
    public static DateTimeOffset? NotBeforeOnRestart(DateTimeOffset? notBefore, DateTimeOffset now) =>
        notBefore is { } stop && stop.ToUnixTimeSeconds() >= now.ToUnixTimeSeconds()
            ? DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).AddMilliseconds(-1)
            : notBefore;

    /// <summary>The reason the token is no longer live, or <see langword="null"/> when it is.</summary>
    public virtual ValueTask<AgentError?> CheckAsync(TokenFacts token, CancellationToken cancellationToken) =>
        CheckAsync(token, checkStatus: true, cancellationToken);

    /// <summary>
    /// Whether the token predates a stop: a suspension or revocation of an agent it names, or a withdrawal of the consent
    /// it relies on (<see cref="AgentErrorCodes.TokenRevoked"/>), or relies on a consent no longer in force
    /// (<see cref="AgentErrorCodes.ConsentMissing"/>), or says it was issued in the future (<see cref="AgentErrorCodes.TokenNotYetValid"/>).
    /// The agents' current status is the caller's to check.
    /// </summary>
    public virtual ValueTask<AgentError?> CheckRevocationAsync(TokenFacts token, CancellationToken cancellationToken) =>
        CheckAsync(token, checkStatus: false, cancellationToken);

    /// <summary>One pass over the agents the token names (each read once), then the consent it relies on.</summary>
    private async ValueTask<AgentError?> CheckAsync(TokenFacts token, bool checkStatus, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.IssuedAt > _time.GetUtcNow() + ClockSkew)
        {
            // No server issues tokens from the future: such a token was minted outside it, or with a broken clock.
            return new AgentError(AgentErrorCodes.TokenNotYetValid, OAuthErrors.InvalidGrant, "The token says it was issued in the future.");
        }

        AgentError? revoked = null;
        foreach (var id in AgentsNamedBy(token))
        {
            if (await _agents.FindAsync(id, cancellationToken) is not { } agent)
            {
                continue;
            }

            if (checkStatus && agent.Status != AgentStatus.Active)
            {
                return new AgentError(agent.Status == AgentStatus.Suspended ? AgentErrorCodes.AgentSuspended : AgentErrorCodes.AgentRevoked,
                    OAuthErrors.InvalidGrant, $"The agent '{id}' named by the token is {agent.Status.ToString().ToLowerInvariant()}.");
            }

            // A stopped agent's status is the answer while it is stopped; the stop itself once it is resumed.
            revoked ??= IssuedBefore(token.IssuedAt, agent.TokensNotBefore)
                ? new AgentError(AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant, $"The token was issued before the agent '{id}' was suspended or revoked; it stays revoked.")
                : null;
        }

        if (revoked is not null || !SubjectIdentifier.IsUser(token.Subject))
        {
            return revoked;
        }

        // The agent the user consented to: the first actor of a delegated token, or the agent the user's token was issued to.
        var consentedAgent = token.Chain.Origin is { } origin && SubjectIdentifier.TryGetAgentId(origin.Subject, out var originId)
            ? originId
            : token.ClientId;
        if (consentedAgent is null || await _agents.FindAsync(consentedAgent, cancellationToken) is null)
        {
            return null; // a user's token for a client that is not an agent: not ours to judge
        }

        // A token issued for an approval (OpenID CIBA) rests on that approval, the user's yes to this very action, not on
        // a standing consent: it lives while the approval given by this user to this agent is on record.
        if (token.ApprovalId is { } approvalId && _approvals is not null)
        {
            return await _approvals.FindAsync(approvalId, cancellationToken) is { Status: Approvals.ApprovalStatus.Approved or Approvals.ApprovalStatus.Redeemed } approval &&
                   string.Equals(approval.UserSubject, token.Subject, StringComparison.Ordinal) && string.Equals(approval.AgentId, consentedAgent, StringComparison.Ordinal)
                ? null
                : new AgentError(AgentErrorCodes.ApprovalUnknown, OAuthErrors.InvalidGrant, "The approval this token was issued for is not on record for this user and agent.");
        }

        var consent = await _consents.FindActiveAsync(token.Subject, consentedAgent, cancellationToken);
        if (consent is null)
        {
            return new AgentError(AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant, $"The user withdrew the consent to agent '{consentedAgent}' that this token relies on.");
        }

        return IssuedBefore(token.IssuedAt, consent.TokensNotBefore)
            ? new AgentError(AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant,
                $"The token was issued under a consent to agent '{consentedAgent}' that the user later withdrew; it stays revoked.")
            : null;
    }

    private static IEnumerable<string> AgentsNamedBy(TokenFacts token) =>
        token.Chain.Select(a => a.Subject).Append(token.Subject)
            .Select(s => SubjectIdentifier.TryGetAgentId(s, out var id) ? id : null)
            .Append(token.ClientId)
            .Where(id => id is not null)
            .Select(id => id!)
            .Distinct(StringComparer.Ordinal);
}
