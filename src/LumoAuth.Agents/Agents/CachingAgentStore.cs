using LumoAuth.Agents.Caching;

namespace LumoAuth.Agents;

/// <summary>
/// An <see cref="IAgentStore"/> whose lookups by id are served from the process's <see cref="RegistryCache{TKey, TValue}"/>
/// for a short time; every write goes to the store and then drops the agent from the cache, whether or not it succeeded.
/// Within one request (one instance of this store) an agent is read once, so the policy, the token checks and the audit
/// trail see the same profile; what a request remembers is never put back into the shared cache. Listings always read
/// the store.
/// </summary>
internal sealed class CachingAgentStore : IAgentStore
{
    private readonly IAgentStore _store;
    private readonly RegistryCache<string, AgentProfile> _cache;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AgentProfile?> _request = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="store"/>.</summary>
    public CachingAgentStore(IAgentStore store, RegistryCache<string, AgentProfile> cache)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(cache);
        _store = store;
        _cache = cache;
    }

    /// <inheritdoc />
    public async ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (_request.TryGetValue(id, out var known))
        {
            return known;
        }

        var agent = await _cache.GetAsync(id, (_store, id), static (read, ct) => read._store.FindAsync(read.id, ct), cancellationToken);
        _request[id] = agent;
        return agent;
    }

    private void Forget(string id)
    {
        _request.TryRemove(id, out _);
        _cache.Invalidate(id);
    }

    /// <inheritdoc />
    public async ValueTask CreateAsync(AgentProfile agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        try
        {
            await _store.CreateAsync(agent, cancellationToken);
        }
        finally
        {
            Forget(agent.Id);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.SetStatusAsync(id, status, expectedVersion, cancellationToken);
        }
        finally
        {
            Forget(id);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> UpdateAsync(AgentProfile agent, string expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        try
        {
            return await _store.UpdateAsync(agent, expectedVersion, cancellationToken);
        }
        finally
        {
            Forget(agent.Id);
        }
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await _store.DeleteAsync(id, cancellationToken);
        }
        finally
        {
            Forget(id);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AgentProfile>> ListAsync(AgentQuery query, CancellationToken cancellationToken) => _store.ListAsync(query, cancellationToken);
}
