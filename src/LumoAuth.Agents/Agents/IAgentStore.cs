namespace LumoAuth.Agents;

/// <summary>A page of agents; unset filters do not filter.</summary>
public sealed record AgentQuery
{
    /// <summary>Only agents with this status.</summary>
    public AgentStatus? Status { get; init; }

    /// <summary>Only agents holding this capability.</summary>
    public string? Capability { get; init; }

    /// <summary>Only agents of this owner.</summary>
    public string? Owner { get; init; }

    /// <summary>How many to skip.</summary>
    public int Skip { get; init; }

    /// <summary>How many to return at most (default 50).</summary>
    public int Take { get; init; } = 50;
}

/// <summary>
/// Where agent profiles live. Register one with <c>AddLumoAgents().UseEntityFrameworkCore&lt;TContext&gt;()</c>
/// or <c>UseInMemoryStores()</c>. Implementations must throw when they cannot answer, never return stale data.
/// </summary>
public interface IAgentStore
{
    /// <summary>The agent with <paramref name="id"/>, or <see langword="null"/>.</summary>
    ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>Stores a new agent. Throws <see cref="InvalidOperationException"/> when the id is taken.</summary>
    ValueTask CreateAsync(AgentProfile agent, CancellationToken cancellationToken);

    /// <summary>
    /// Changes an agent's status, as one conditional update; returns <see langword="false"/> when no such agent
    /// exists, when it is revoked and <paramref name="status"/> is not (a revoked agent stays revoked), or, with
    /// <paramref name="expectedVersion"/>, when it was changed since that version was read.
    /// </summary>
    ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces an agent's profile fields (not its id, status or creation time) if it is still at
    /// <paramref name="expectedVersion"/>; returns <see langword="false"/> when it changed since or does not exist.
    /// </summary>
    ValueTask<bool> UpdateAsync(AgentProfile agent, string expectedVersion, CancellationToken cancellationToken);

    /// <summary>Removes an agent; used only to undo a registration that failed half-way.</summary>
    ValueTask DeleteAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists agents ordered by id, a page at a time, filtered by <paramref name="query"/>.</summary>
    ValueTask<IReadOnlyList<AgentProfile>> ListAsync(AgentQuery query, CancellationToken cancellationToken);
}
