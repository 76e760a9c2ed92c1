namespace LumoAuth.Agents;

/// <summary>Whether an agent may currently obtain or take part in tokens.</summary>
public enum AgentStatus
{
    /// <summary>The agent may obtain tokens and act in chains.</summary>
    Active = 0,

    /// <summary>Temporarily stopped; it may be resumed.</summary>
    Suspended = 1,

    /// <summary>Permanently stopped.</summary>
    Revoked = 2,
}
