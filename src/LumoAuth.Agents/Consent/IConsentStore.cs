using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Consent;

/// <summary>
/// Where users' consents to agents live. Delegation reads it at every exchange, so a withdrawn consent
/// refuses the very next one. Implementations must throw when they cannot answer.
/// </summary>
public interface IConsentStore
{
    /// <summary>Records consent for <paramref name="scopes"/>, adding to any scopes already consented.</summary>
    ValueTask<ConsentGrant> GrantAsync(string subject, string agentId, ScopeSet scopes, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The consent in force for this user and agent, or <see langword="null"/>.</summary>
    ValueTask<ConsentGrant?> FindActiveAsync(string subject, string agentId, CancellationToken cancellationToken);

    /// <summary>Every consent the user has given, in force or withdrawn.</summary>
    ValueTask<IReadOnlyList<ConsentGrant>> ListAsync(string subject, CancellationToken cancellationToken);

    /// <summary>Every consent given to <paramref name="agentId"/>, in force or withdrawn, a page at a time.</summary>
    ValueTask<IReadOnlyList<ConsentGrant>> ListByAgentAsync(string agentId, int skip, int take, CancellationToken cancellationToken);

    /// <summary>Withdraws the consent; returns <see langword="false"/> when none was in force.</summary>
    ValueTask<bool> WithdrawAsync(string subject, string agentId, DateTimeOffset now, CancellationToken cancellationToken);
}
