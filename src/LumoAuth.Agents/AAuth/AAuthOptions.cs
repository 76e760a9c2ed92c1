namespace LumoAuth.Agents.AAuth;

/// <summary>
/// AAuth (seed pattern 4): agents sign every request with their own key, and the tokens they are given are bound to
/// that key. Configure the resources whose resource tokens this server accepts, and the lifetimes.
/// </summary>
public sealed class AAuthOptions
{
    /// <summary>How long an agent token lives (default 1 hour, at most 24 hours).</summary>
    public TimeSpan AgentTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a refresh token lives (default 24 hours, at most 30 days); every refresh re-checks the agent.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The oldest request signature accepted (the AAuth drafts' 60-second window by default, at most 5 minutes).</summary>
    public TimeSpan SignatureMaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest lifetime a resource token may declare (default 10 minutes).</summary>
    public TimeSpan ResourceTokenMaxLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The resources whose resource tokens are accepted, by identifier.</summary>
    public IList<AAuthResource> Resources { get; } = [];

    /// <summary>Agent providers whose agent tokens are accepted in place of this server's own.</summary>
    public IList<AAuthAgentProvider> AgentProviders { get; } = [];
}

/// <summary>
/// A trusted agent provider: another AAuth issuer that vouches for an agent's key in its own agent tokens
/// (<c>agent+jwt</c> with <c>cnf.jwk</c>, <c>aud</c> naming this server). Each of its agents this server serves is
/// mapped to a registered agent, whose status, capabilities, tools and budget apply as for any other.
/// </summary>
public sealed class AAuthAgentProvider
{
    /// <summary>The provider's issuer: the <c>iss</c> of its agent tokens.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>The public keys (JWK JSON) its agent tokens are signed with.</summary>
    public IList<string> SigningKeys { get; } = [];

    /// <summary>The provider's agent subjects (<c>sub</c> of its agent tokens) and the registered agent each one is here.</summary>
    public IDictionary<string, string> Agents { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>A resource (an API or another agent) that mints resource tokens agents bring to this server.</summary>
public sealed class AAuthResource
{
    /// <summary>
    /// The short identifier, as agents list it among their allowed tools (for example <c>acme-corp-api</c>).
    /// </summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The resource's URL: the <c>iss</c> of its resource tokens and the <c>aud</c> of the auth tokens issued for it.</summary>
    public Uri? Identifier { get; set; }

    /// <summary>The public keys (JWK JSON) its resource tokens are signed with.</summary>
    public IList<string> SigningKeys { get; } = [];
}
