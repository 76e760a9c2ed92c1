namespace LumoAuth.Agents;

/// <summary>Capabilities with a meaning to the token server itself.</summary>
public static class AgentCapabilities
{
    /// <summary>The agent may act on behalf of users (seed: "Can act on behalf of users").</summary>
    public const string DelegateUser = "delegate:user";

    /// <summary>Prefix of capabilities that name a tool the agent may call (<c>tool:search</c>).</summary>
    public const string ToolPrefix = "tool:";

    /// <summary>
    /// Scopes that are never an agent's capabilities. OpenID Connect scopes concern a user's sign-in: <c>offline_access</c> would
    /// make the server issue long-lived refresh tokens beside agent tokens, <c>openid</c> ID tokens.
    /// </summary>
    /// <remarks>
    /// The administration and usage-reporting scopes of the pack's own APIs are reserved too: they belong to service
    /// clients (an admin console, an LLM gateway), never to an agent or to a user's consent.
    /// </remarks>
    public static IReadOnlySet<string> Reserved { get; } = new HashSet<string>(StringComparer.Ordinal) { "openid", "offline_access", "agents:admin", "agents:usage" };
}
