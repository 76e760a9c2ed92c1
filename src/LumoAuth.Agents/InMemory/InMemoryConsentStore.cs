using System.Collections.Concurrent;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.InMemory;

/// <summary>An <see cref="IConsentStore"/> in process memory, for tests and single-instance trials only.</summary>
public sealed class InMemoryConsentStore : IConsentStore
{
    private readonly ConcurrentDictionary<(string Subject, string AgentId), ConsentGrant> _grants = new();

    /// <inheritdoc />
    public ValueTask<ConsentGrant> GrantAsync(string subject, string agentId, ScopeSet scopes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var grant = _grants.AddOrUpdate((subject, agentId),
            _ => new ConsentGrant { Subject = subject, AgentId = agentId, Scopes = scopes, GrantedAt = now },
            (_, existing) => existing with
            {
                Scopes = existing.IsActive ? existing.Scopes.Union(scopes) : scopes,
                GrantedAt = now,
                WithdrawnAt = null,
                TokensNotBefore = Delegation.TokenLiveness.NotBeforeOnRestart(existing.TokensNotBefore, now),
            });
        return ValueTask.FromResult(grant);
    }

    /// <inheritdoc />
    public ValueTask<ConsentGrant?> FindActiveAsync(string subject, string agentId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_grants.TryGetValue((subject, agentId), out var grant) && grant.IsActive ? grant : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentGrant>> ListAsync(string subject, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ConsentGrant>>(_grants.Values.Where(g => g.Subject == subject).OrderBy(g => g.AgentId, StringComparer.Ordinal).ToList());

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentGrant>> ListByAgentAsync(string agentId, int skip, int take, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<ConsentGrant>>(_grants.Values.Where(g => g.AgentId == agentId).OrderBy(g => g.Subject, StringComparer.Ordinal).Skip(skip).Take(take).ToList());

    /// <inheritdoc />
    public ValueTask<bool> WithdrawAsync(string subject, string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (_grants.TryGetValue((subject, agentId), out var grant) && grant.IsActive)
        {
            if (_grants.TryUpdate((subject, agentId), grant with { WithdrawnAt = now, TokensNotBefore = now }, grant))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }
}
