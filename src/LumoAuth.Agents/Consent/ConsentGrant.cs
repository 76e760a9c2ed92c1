using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Consent;

/// <summary>A user's recorded permission for one agent to act for them, within <see cref="Scopes"/>.</summary>
public sealed record ConsentGrant
{
    /// <summary>The user's subject identifier (<c>user:alice</c>).</summary>
    public required string Subject { get; init; }

    /// <summary>The agent allowed to act for the user.</summary>
    public required string AgentId { get; init; }

    /// <summary>The scopes the user consented to.</summary>
    public required ScopeSet Scopes { get; init; }

    /// <summary>When the consent was (last) given.</summary>
    public DateTimeOffset GrantedAt { get; init; }

    /// <summary>When it was withdrawn, or <see langword="null"/> while in force.</summary>
    public DateTimeOffset? WithdrawnAt { get; init; }

    /// <summary>
    /// When the consent was last withdrawn, or <see langword="null"/> if never: tokens issued under it until then (to the
    /// whole second) stay dead, also after the user consents again.
    /// </summary>
    public DateTimeOffset? TokensNotBefore { get; init; }

    /// <summary>True while the consent is in force.</summary>
    public bool IsActive => WithdrawnAt is null;
}
