namespace LumoAuth.Agents.Subjects;

/// <summary>
/// Builds and reads subject identifiers that carry their kind (<c>user:alice</c>, <c>agent:research-bot</c>),
/// so an agent identifier can never collide with a user identifier (RFC 9700 §4.15).
/// </summary>
public static class SubjectIdentifier
{
    /// <summary>The prefix of every user subject.</summary>
    public const string UserPrefix = "user:";

    /// <summary>The prefix of every agent subject.</summary>
    public const string AgentPrefix = "agent:";

    /// <summary>Returns <c>agent:&lt;id&gt;</c>.</summary>
    public static string ForAgent(string agentId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agentId);
        return AgentPrefix + agentId;
    }

    /// <summary>Returns <c>user:&lt;id&gt;</c>.</summary>
    public static string ForUser(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return UserPrefix + userId;
    }

    /// <summary>True when <paramref name="subject"/> names an agent; <paramref name="agentId"/> is then its id.</summary>
    public static bool TryGetAgentId(string? subject, out string agentId)
    {
        if (subject is not null && subject.Length > AgentPrefix.Length &&
            subject.StartsWith(AgentPrefix, StringComparison.Ordinal))
        {
            agentId = subject[AgentPrefix.Length..];
            return true;
        }

        agentId = string.Empty;
        return false;
    }

    /// <summary>True when <paramref name="subject"/> names a user.</summary>
    public static bool IsUser(string? subject) =>
        subject is not null && subject.Length > UserPrefix.Length &&
        subject.StartsWith(UserPrefix, StringComparison.Ordinal);
}
