namespace LumoAuth.Agents.Agents;

/// <summary>Capabilities with a meaning to the token server itself.</summary>
public static class AgentCapabilities
{
    /// <summary>The agent may act on behalf of users (seed: "Can act on behalf of users").</summary>
    public const string DelegateUser = "delegate:user";

    /// <summary>Prefix of capabilities that name a tool the agent may call (<c>tool:search</c>).</summary>
    public const string ToolPrefix = "tool:";

    /// <summary>
    /// OpenID Connect scopes that concern a user's sign-in, never an agent's capabilities: <c>offline_access</c> would
    /// make the server issue long-lived refresh tokens beside agent tokens, <c>openid</c> ID tokens.
    /// </summary>
    public static IReadOnlySet<string> Reserved { get; } = new HashSet<string>(StringComparer.Ordinal) { "openid", "offline_access" };
}
