namespace LumoAuth.Agents.Errors;

/// <summary>
/// One refusal: a stable <see cref="Code"/> that tests, dashboards and audit queries can rely on,
/// the standard OAuth <see cref="OAuthError"/> sent on the wire, and a human sentence.
/// </summary>
/// <param name="Code">The stable code, one of <see cref="AgentErrorCodes"/>.</param>
/// <param name="OAuthError">The standard OAuth error value, one of <see cref="OAuthErrors"/>.</param>
/// <param name="Description">A sentence saying what was wrong, safe to show to the caller.</param>
public sealed record AgentError(string Code, string OAuthError, string Description)
{
    /// <inheritdoc />
    public override string ToString() => $"{OAuthError} ({Code}): {Description}";
}
