namespace LumoAuth.Agents.Agents;

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

    /// <summary>Suspends, resumes or revokes an agent. A revoked agent cannot be made active again.</summary>
    /// <exception cref="InvalidOperationException">The agent is revoked and <paramref name="status"/> is not.</exception>
    ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion = null, CancellationToken cancellationToken = default);
}
