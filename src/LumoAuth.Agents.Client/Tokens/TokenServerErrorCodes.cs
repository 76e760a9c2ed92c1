namespace LumoAuth.Agents.Client;

/// <summary>
/// The token server's stable refusal codes (<see cref="AgentTokenException.ErrorCode"/>) that this package acts on,
/// as the server declares and documents them.
/// </summary>
public static class TokenServerErrorCodes
{
    /// <summary>The exchange asks for a capability that needs the user's approval of each use: ask the user (OpenID CIBA).</summary>
    public const string ApprovalRequired = "approval_required";
}
