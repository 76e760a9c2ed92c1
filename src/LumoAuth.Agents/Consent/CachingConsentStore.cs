using LumoAuth.Agents.Caching;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Consent;

/// <summary>
/// An <see cref="IConsentStore"/> whose active-consent lookups are served from the process's
/// <see cref="RegistryCache{TKey, TValue}"/> for a short time; granting or withdrawing goes to the store and then drops
/// that user's consent for that agent from the cache, whether or not it succeeded. Listings always read the store.
/// </summary>
internal sealed class CachingConsentStore : IConsentStore
{
    private readonly IConsentStore _store;
    private readonly RegistryCache<(string Subject, string AgentId), ConsentGrant> _cache;

    /// <summary>Wraps <paramref name="store"/>.</summary>
    public CachingConsentStore(IConsentStore store, RegistryCache<(string Subject, string AgentId), ConsentGrant> cache)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cache);
        _store = store;
        _cache = cache;
    }

    /// <inheritdoc />
    public ValueTask<ConsentGrant?> FindActiveAsync(string subject, string agentId, CancellationToken cancellationToken) =>
        _cache.GetAsync((subject, agentId), (_store, subject, agentId),
            static (read, ct) => read._store.FindActiveAsync(read.subject, read.agentId, ct), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<ConsentGrant> GrantAsync(string subject, string agentId, ScopeSet scopes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.GrantAsync(subject, agentId, scopes, now, cancellationToken);
        }
        finally
        {
            _cache.Invalidate((subject, agentId));
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> WithdrawAsync(string subject, string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.WithdrawAsync(subject, agentId, now, cancellationToken);
        }
        finally
        {
            _cache.Invalidate((subject, agentId));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentGrant>> ListAsync(string subject, CancellationToken cancellationToken) => _store.ListAsync(subject, cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ConsentGrant>> ListByAgentAsync(string agentId, int skip, int take, CancellationToken cancellationToken) =>
        _store.ListByAgentAsync(agentId, skip, take, cancellationToken);
}
