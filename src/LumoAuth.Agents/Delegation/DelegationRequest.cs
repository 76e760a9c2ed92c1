namespace LumoAuth.Agents.Delegation;

/// <summary>A token-exchange request for user delegation (seed pattern 3), its input tokens already validated.</summary>
public sealed record DelegationRequest
{
    /// <summary>The subject token: a user's access token, possibly already delegated.</summary>
    public required TokenFacts SubjectToken { get; init; }

    /// <summary>The actor token: the new actor agent's own access token, or <see langword="null"/> when the client authentication names the actor.</summary>
    public TokenFacts? ActorToken { get; init; }

    /// <summary>The authenticated (confidential) client, or <see langword="null"/> for a request proven by the actor token alone.</summary>
    public string? AuthenticatedClientId { get; init; }

    /// <summary>
    /// The <c>client_id</c> the request names, authenticated or not. When present it must be the acting agent: a token
    /// never carries a client other than its actor.
    /// </summary>
    public string? NamedClientId { get; init; }

    /// <summary>The <c>scope</c> values, or <see langword="null"/> when none was sent.</summary>
    public IReadOnlyList<string>? RequestedScopes { get; init; }

    /// <summary>The <c>audience</c> and <c>resource</c> values.</summary>
    public IReadOnlyList<string> RequestedAudiences { get; init; } = [];
}
