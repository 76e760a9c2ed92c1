using System.Collections.Concurrent;

namespace LumoAuth.Agents.InMemory;

/// <summary>An <see cref="IAgentStore"/> in process memory, for tests and single-instance trials only: it is lost on restart and not shared across instances.</summary>
public sealed class InMemoryAgentStore : IAgentStore
{
    private readonly ConcurrentDictionary<string, AgentProfile> _agents = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    public InMemoryAgentStore(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <inheritdoc />
    public ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_agents.TryGetValue(id, out var agent) ? agent : null);

    /// <inheritdoc />
    public ValueTask CreateAsync(AgentProfile agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (!_agents.TryAdd(agent.Id, agent with { Version = Guid.NewGuid().ToString("N") }))
        {
            throw new InvalidOperationException($"An agent with id '{agent.Id}' already exists.");
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion, CancellationToken cancellationToken)
    {
        while (_agents.TryGetValue(id, out var agent))
        {
            if ((expectedVersion is not null && agent.Version != expectedVersion) || (agent.Status == AgentStatus.Revoked && status != AgentStatus.Revoked))
            {
                return ValueTask.FromResult(false);
            }

            if (_agents.TryUpdate(id, agent with
                {
                    Status = status,
                    Version = Guid.NewGuid().ToString("N"),
                    TokensNotBefore = status == AgentStatus.Active
                        ? Delegation.TokenLiveness.NotBeforeOnRestart(agent.TokensNotBefore, _time.GetUtcNow())
                        : _time.GetUtcNow(),
                }, agent))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }

    /// <inheritdoc />
    public ValueTask<bool> UpdateAsync(AgentProfile agent, string expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        while (_agents.TryGetValue(agent.Id, out var current))
        {
            if (current.Version != expectedVersion)
            {
                return ValueTask.FromResult(false);
            }

            var updated = agent with { Status = current.Status, CreatedAt = current.CreatedAt, TokensNotBefore = current.TokensNotBefore, Version = Guid.NewGuid().ToString("N") };
            if (_agents.TryUpdate(agent.Id, updated, current))
            {
                return ValueTask.FromResult(true);
            }
        }

        return ValueTask.FromResult(false);
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(string id, CancellationToken cancellationToken)
    {
        _agents.TryRemove(id, out _);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AgentProfile>> ListAsync(AgentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ValueTask.FromResult<IReadOnlyList<AgentProfile>>(_agents.Values
            .Where(a => query.Status is null || a.Status == query.Status)
            .Where(a => query.Capability is null || a.Capabilities.Contains(query.Capability))
            .Where(a => query.Owner is null || a.Owner == query.Owner)
            .OrderBy(a => a.Id, StringComparer.Ordinal).Skip(query.Skip).Take(query.Take).ToList());
    }
}
