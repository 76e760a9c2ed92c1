namespace LumoAuth.Agents;

/// <summary>
/// The one entry point for registering and managing agents from code. Registered by <c>AddLumoAgents()</c>.
/// </summary>
public interface IAgentRegistry
{
    /// <summary>
    /// Validates and stores an agent with its OAuth client. A refused registration names every bad field
    /// and writes nothing.
    /// </summary>
    ValueTask<AgentRegistrationResult> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken = default);

    /// <summary>The agent with <paramref name="id"/>, or <see langword="null"/>.</summary>
    ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces an agent's profile from <paramref name="changes"/> (its <c>Id</c> names the agent; <c>ClientSecret</c>,
    /// <c>Status</c>, <c>RedirectUris</c> and <c>WorkloadBindings</c> are not changed here) if it is still at
    /// <paramref name="expectedVersion"/>. A refused update names every bad field and writes nothing;
    /// <see cref="AgentUpdateResult.Conflict"/> means the agent changed since that version.
    /// </summary>
    ValueTask<AgentUpdateResult> UpdateAsync(AgentRegistration changes, string expectedVersion, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the workload bindings of an agent (seed pattern 2), checked as at registration: a trusted issuer, the
    /// claims its platform requires pinned, and no workload already bound to another agent.
    /// </summary>
    ValueTask<AgentUpdateResult> SetWorkloadBindingsAsync(string id, IReadOnlyList<Workload.WorkloadBinding> bindings, CancellationToken cancellationToken = default);

    /// <summary>Suspends, resumes or revokes an agent. A revoked agent cannot be made active again.</summary>
    /// <exception cref="InvalidOperationException">The agent is revoked and <paramref name="status"/> is not.</exception>
    ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion = null, CancellationToken cancellationToken = default);
}
