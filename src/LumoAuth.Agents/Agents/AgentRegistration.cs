namespace LumoAuth.Agents;

/// <summary>
/// Everything needed to register an agent: the profile fields as plain values (so a registration can be
/// bound from JSON or configuration) and the OAuth client's credentials.
/// Validated by <see cref="AgentRegistrationValidator"/>; a bad registration writes nothing.
/// </summary>
public sealed class AgentRegistration
{
    /// <summary>The agent identifier: 2–63 characters of lower-case letters, digits and '-', starting with a letter or digit.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>A human name.</summary>
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>Who answers for the agent.</summary>
    public string Owner { get; set; } = string.Empty;

    /// <summary>The only scopes the agent can ever hold.</summary>
    public IList<string> Capabilities { get; set; } = [];

    /// <summary>Scopes granted when a request names none; each must be a capability. Empty: no scope unless asked.</summary>
    public IList<string> DefaultScopes { get; set; } = [];

    /// <summary>The agents and APIs the agent may get tokens for or delegate to.</summary>
    public IList<string> AllowedTools { get; set; } = [];

    /// <summary>May the agent act for users (requires the <c>delegate:user</c> capability).</summary>
    public bool CanActForUsers { get; set; }

    /// <summary>Maximum actor chain depth, 1–10 (default 3).</summary>
    public int MaxChainDepth { get; set; } = DelegationRules.DefaultMaxChainDepth;

    /// <summary>Access token lifetime, more than zero and at most one hour (default 5 minutes).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = AgentProfile.DefaultAccessTokenLifetime;

    /// <summary>
    /// Whether the agent gets sender-constrained tokens only (DPoP, RFC 9449): a token request without a proof of its key
    /// is refused, so it never holds a bearer token.
    /// </summary>
    public bool RequireSenderConstrainedTokens { get; set; }

    /// <summary>
    /// Capabilities the agent may use only with the user's approval of each use, and how long one approval lasts
    /// (zero: one token). Each must be one of its capabilities.
    /// </summary>
    public IList<Approvals.ApprovalRule> ApprovalRules { get; set; } = [];

    /// <summary>
    /// Where the server pings the agent when a user decides one of its approval requests (CIBA ping mode): https, or
    /// http on a loopback address. Without it the agent polls.
    /// </summary>
    public Uri? BackchannelNotificationEndpoint { get; set; }

    /// <summary>The usage limits.</summary>
    public BudgetPolicy Budget { get; set; } = new();

    /// <summary>The client secret (at least 32 characters), or <see langword="null"/> for an agent with no secret.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Redirect URIs, for agents that ask users for consent through the authorization endpoint.</summary>
    public IList<Uri> RedirectUris { get; set; } = [];

    /// <summary>
    /// Platform workloads that log in as this agent (seed pattern 2): each names a trusted issuer, the exact subject
    /// and claim conditions. Such an agent needs no secret at all.
    /// </summary>
    public IList<Workload.WorkloadBinding> WorkloadBindings { get; set; } = [];

    /// <summary>
    /// Public keys (JWK JSON: Ed25519, P-256, P-384, or RSA with <c>alg</c> PS512/RS256) the agent signs AAuth
    /// requests with; private members are refused.
    /// </summary>
    public IList<string> SigningKeys { get; set; } = [];

    /// <summary>The initial status (default active).</summary>
    public AgentStatus Status { get; set; } = AgentStatus.Active;

    /// <summary>
    /// The registration that describes <paramref name="agent"/> as it is, to change some fields of and pass to
    /// <see cref="IAgentRegistry.UpdateAsync"/> (credentials, redirect URIs and workload bindings are not part of an update).
    /// </summary>
    public static AgentRegistration FromProfile(AgentProfile agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return new AgentRegistration
        {
            Id = agent.Id,
            DisplayName = agent.DisplayName,
            Owner = agent.Owner,
            Capabilities = [.. agent.Capabilities],
            DefaultScopes = [.. agent.DefaultScopes],
            AllowedTools = [.. agent.AllowedTools],
            CanActForUsers = agent.Delegation.CanActForUsers,
            MaxChainDepth = agent.Delegation.MaxChainDepth,
            AccessTokenLifetime = agent.AccessTokenLifetime,
            RequireSenderConstrainedTokens = agent.RequireSenderConstrainedTokens,
            ApprovalRules = [.. agent.ApprovalRules],
            BackchannelNotificationEndpoint = agent.BackchannelNotificationEndpoint,
            Budget = agent.Budget,
            SigningKeys = [.. agent.SigningKeys],
            Status = agent.Status,
        };
    }
}
