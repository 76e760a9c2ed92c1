using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Delegation;

/// <summary>
/// What a validated input token says, in host-neutral terms. The host integration fills it in only after the
/// token's signature, issuer, type and lifetime have been checked.
/// </summary>
public sealed record TokenFacts
{
    /// <summary>The <c>sub</c> claim.</summary>
    public required string Subject { get; init; }

    /// <summary>The issuer (<c>iss</c>), when known.</summary>
    public string? Issuer { get; init; }

    /// <summary>The <c>client_id</c> the token was issued to, when present.</summary>
    public string? ClientId { get; init; }

    /// <summary>The token identifier (<c>jti</c>), when present.</summary>
    public string? TokenId { get; init; }

    /// <summary>The granted scopes.</summary>
    public ScopeSet Scopes { get; init; } = ScopeSet.Empty;

    /// <summary>The audiences (<c>aud</c>).</summary>
    public IReadOnlySet<string> Audiences { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>When the token expires.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the token was issued (<c>iat</c>, whole seconds), if it says.</summary>
    public DateTimeOffset? IssuedAt { get; init; }

    /// <summary>The actor chain the token already carries (its <c>act</c> claim).</summary>
    public ActorChain Chain { get; init; } = ActorChain.Empty;

    /// <summary>The approval the token rests on (<c>approval_id</c>, OpenID CIBA), when it was issued for one.</summary>
    public string? ApprovalId { get; init; }

    /// <summary>The party the subject allowed to act for it (<c>may_act</c>, RFC 8693 §4.4), when present.</summary>
    public Actor? MayAct { get; init; }
}
