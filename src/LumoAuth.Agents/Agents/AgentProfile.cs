using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents;

/// <summary>
/// What the token server knows about an agent besides its OAuth client: who owns it, what it may ever hold,
/// which tools it may reach and whether it may act for users. Read from an <see cref="IAgentStore"/>.
/// </summary>
public sealed record AgentProfile
{
    /// <summary>The default access token lifetime.</summary>
    public static readonly TimeSpan DefaultAccessTokenLifetime = TimeSpan.FromMinutes(5);

    /// <summary>The longest access token lifetime an agent may have.</summary>
    public static readonly TimeSpan MaxAccessTokenLifetime = TimeSpan.FromHours(1);

    /// <summary>The agent identifier; also its OAuth <c>client_id</c>. Its subject is <c>agent:&lt;Id&gt;</c>.</summary>
    public required string Id { get; init; }

    /// <summary>A human name, used when the chain is put into words.</summary>
    public required string DisplayName { get; init; }

    /// <summary>Who answers for the agent (a team, a user, a service).</summary>
    public required string Owner { get; init; }

    /// <summary>Whether the agent may obtain and take part in tokens.</summary>
    public AgentStatus Status { get; init; } = AgentStatus.Active;

    /// <summary>The only scopes the agent can ever hold.</summary>
    public ScopeSet Capabilities { get; init; } = ScopeSet.Empty;

    /// <summary>The scopes granted when a request names none; a subset of <see cref="Capabilities"/>.</summary>
    public ScopeSet DefaultScopes { get; init; } = ScopeSet.Empty;

    /// <summary>The agents and APIs (audiences) the agent may get tokens for or pass a delegation on to.</summary>
    public IReadOnlySet<string> AllowedTools { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Whether and how far the agent may act for users.</summary>
    public DelegationRules Delegation { get; init; } = new();

    /// <summary>How long its access tokens live (default 5 minutes, at most 1 hour).</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = DefaultAccessTokenLifetime;

    /// <summary>Whether the agent gets sender-constrained (DPoP-bound) tokens only, never a bearer token.</summary>
    public bool RequireSenderConstrainedTokens { get; init; }

    /// <summary>
    /// Capabilities this agent may use only with the user's approval of each use (OpenID CIBA), beside the server's
    /// <see cref="Approvals.ApprovalOptions.RequiredFor"/>.
    /// </summary>
    public IReadOnlyList<Approvals.ApprovalRule> ApprovalRules { get; init; } = [];

    /// <summary>
    /// Where the server pings the agent when a user decides one of its approval requests (CIBA ping mode); without it
    /// the agent polls.
    /// </summary>
    public Uri? BackchannelNotificationEndpoint { get; init; }

    /// <summary>
    /// The public keys (JWK JSON, at most <see cref="MaxSigningKeys"/>) the agent signs HTTP requests with, for AAuth
    /// proof of possession. A request signed with one of them proves it comes from the agent without any secret.
    /// </summary>
    public IReadOnlyList<string> SigningKeys { get; init; } = [];

    /// <summary>The most signing keys an agent may enrol (room for a rotation).</summary>
    public const int MaxSigningKeys = 5;

    /// <summary>The usage limits.</summary>
    public BudgetPolicy Budget { get; init; } = new();

    /// <summary>An opaque version, changed by every update; the admin API's ETag for optimistic concurrency.</summary>
    public string Version { get; init; } = string.Empty;

    /// <summary>When the agent was registered.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The agent's subject identifier, <c>agent:&lt;Id&gt;</c>.</summary>
    public string Subject => Subjects.SubjectIdentifier.ForAgent(Id);

    /// <summary>
    /// When the agent was last suspended or revoked, or <see langword="null"/> if never: every token naming it that was
    /// issued until then (to the whole second) stays dead, also after a resume. Set by the store with the status change.
    /// </summary>
    public DateTimeOffset? TokensNotBefore { get; init; }

    /// <summary>True when the agent holds the capability that lets it act for users and its rules allow it.</summary>
    public bool MayActForUsers => Delegation.CanActForUsers && Capabilities.Contains(AgentCapabilities.DelegateUser);
}
