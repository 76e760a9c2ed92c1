namespace LumoAuth.Agents.Configuration;

/// <summary>
/// Server-wide settings of the agent pack. Bound from the <c>LumoAgents</c> configuration section or set in
/// <c>AddLumoAgents(o =&gt; ...)</c>; validated at start-up, every bad field named.
/// </summary>
public sealed class LumoAgentsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "LumoAgents";

    /// <summary>
    /// Require client authentication on token exchange (RFC 8693 §5). Off by default so the seed's request,
    /// where the actor token alone proves the agent, works; turning it on makes a stolen pair of tokens useless
    /// without the agent's own credentials too.
    /// </summary>
    public bool RequireClientAuthenticationForExchange { get; set; }

    /// <summary>
    /// Require the subject token to be bound to the presenting actor: issued to it (<c>client_id</c>), meant
    /// for it (<c>aud</c>) or naming it in <c>may_act</c>. On by default: it stops chain splicing, where two
    /// valid tokens from unrelated contexts are combined.
    /// </summary>
    public bool RequireSubjectTokenBoundToActor { get; set; } = true;

    /// <summary>
    /// Whether the server keeps a database entry for every access token issued to an agent (off by default). Agents'
    /// tokens are short-lived, signed, self-contained JWTs whose liveness is judged at every use by the agent's status and
    /// the user's consent, so the entry buys nothing but a write on issuance and a read on each redemption — the
    /// largest single cost of an exchange. Turn it on to list or revoke individual agent tokens through OpenIddict's
    /// token manager. Authorization codes and refresh tokens always keep their entries.
    /// </summary>
    public bool StoreAgentAccessTokens { get; set; }

    /// <summary>
    /// How long an agent profile, a user's consent or an OpenIddict client application read from the database is reused
    /// by later requests of this process (default 2 seconds; zero reads them on every request). A change made through
    /// this process (admin API, admin pages, consent page, OpenIddict's application manager) takes effect here at once;
    /// another instance sharing the database sees it when its copy expires, so a suspension, a narrowed capability, a
    /// withdrawn consent or a rotated secret reaches every instance within this time. A consent just given counts at
    /// once everywhere (absent consents are not kept). Tokens issued before a change live on for their own lifetime
    /// either way. Read at start-up; at most 1 minute.
    /// </summary>
    public TimeSpan RegistryCacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest lifetime any issued token may have, whatever an agent asks for (default and ceiling 1 hour).</summary>
    public TimeSpan MaxAccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The ceiling on chain depth across all agents (default 10, the most that is ever parsed).</summary>
    public int MaxChainDepth { get; set; } = 10;

    /// <summary>The audience given to tokens whose request names none, or <see langword="null"/> for none.</summary>
    public string? DefaultAudience { get; set; }

    /// <summary>
    /// The protected resources clients may name with RFC 8707's <c>resource</c> parameter, on the authorization request
    /// and on the token request of every grant. Another value is refused with <c>invalid_target</c>.
    /// </summary>
    public IList<Resources.ProtectedResource> Resources { get; } = [];

    /// <summary>How users' own OAuth clients, such as MCP clients, register: metadata documents and dynamic registration.</summary>
    public Clients.ClientRegistrationOptions ClientRegistration { get; } = new();

    /// <summary>What DPoP proofs (RFC 9449) at the token endpoint must be: algorithms, freshness, size.</summary>
    public Dpop.DpopOptions Dpop { get; } = new();

    /// <summary>Human approval of sensitive actions (OpenID CIBA): capabilities needing approval and the endpoint's limits.</summary>
    public Approvals.ApprovalOptions Approvals { get; } = new();

    /// <summary>How long audit records are kept (default 400 days); <see langword="null"/> keeps them forever.</summary>
    public TimeSpan? AuditRetention { get; set; } = TimeSpan.FromDays(400);

    /// <summary>How often expired audit records are removed (default hourly).</summary>
    public TimeSpan AuditRetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Where the error codes are documented; each refusal's <c>error_uri</c> is this plus <c>#code</c>.</summary>
    public Uri ErrorDocumentationUri { get; set; } = new("https://lumoauth.dev/agents/docs/errors");
}
