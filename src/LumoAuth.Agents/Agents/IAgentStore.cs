namespace LumoAuth.Agents.Agents;

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

    /// <summary>Changes an agent's status; returns <see langword="false"/> when no such agent exists.</summary>
    ValueTask<bool> SetStatusAsync(string id, AgentStatus status, CancellationToken cancellationToken);

    /// <summary>Removes an agent; used only to undo a registration that failed half-way.</summary>
    ValueTask DeleteAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists agents ordered by id, a page at a time.</summary>
    ValueTask<IReadOnlyList<AgentProfile>> ListAsync(int skip, int take, CancellationToken cancellationToken);
}
