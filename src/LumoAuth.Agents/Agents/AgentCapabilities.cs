namespace LumoAuth.Agents.Agents;

/// <summary>Capabilities with a meaning to the token server itself.</summary>
public static class AgentCapabilities
{
    /// <summary>The agent may act on behalf of users (seed: "Can act on behalf of users").</summary>
    public const string DelegateUser = "delegate:user";

    /// <summary>Prefix of capabilities that name a tool the agent may call (<c>tool:search</c>).</summary>
    public const string ToolPrefix = "tool:";
}
