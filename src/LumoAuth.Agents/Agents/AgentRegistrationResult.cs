namespace LumoAuth.Agents;

/// <summary>A bad field of a refused registration.</summary>
/// <param name="Field">The field's name, as in <see cref="AgentRegistration"/>.</param>
/// <param name="Message">What is wrong with it.</param>
public sealed record FieldError(string Field, string Message);

/// <summary>The outcome of <see cref="IAgentRegistry.UpdateAsync"/>.</summary>
public sealed record AgentUpdateResult
{
    /// <summary>The updated agent when the update succeeded.</summary>
    public AgentProfile? Agent { get; init; }

    /// <summary>Every bad field when it was refused.</summary>
    public IReadOnlyList<FieldError> Errors { get; init; } = [];

    /// <summary>No such agent.</summary>
    public bool NotFound { get; init; }

    /// <summary>The agent changed since the expected version.</summary>
    public bool Conflict { get; init; }
}

/// <summary>The outcome of <see cref="IAgentRegistry.RegisterAsync"/>.</summary>
public sealed record AgentRegistrationResult
{
    /// <summary>The stored agent when the registration succeeded.</summary>
    public AgentProfile? Agent { get; init; }

    /// <summary>Every bad field when it was refused; nothing was written then.</summary>
    public IReadOnlyList<FieldError> Errors { get; init; } = [];

    /// <summary>True when the agent was registered.</summary>
    public bool Succeeded => Agent is not null;
}
