namespace LumoAuth.Agents.Approvals;

/// <summary>
/// Human approval of sensitive agent actions (OpenID CIBA): which capabilities need the user's yes each time, and the
/// limits of the backchannel authentication endpoint. Bound from <c>LumoAgents:Approvals</c>.
/// </summary>
public sealed class ApprovalOptions
{
    /// <summary>The default address of the backchannel authentication endpoint.</summary>
    public const string DefaultPath = "/connect/ciba";

    /// <summary>
    /// Capabilities that need an approval per use, for every agent, and how long one approval lasts
    /// (<see cref="TimeSpan.Zero"/>: a single token); in configuration a list of <c>{ "Capability", "ValidFor" }</c>. An agent's own rules (<see cref="AgentProfile.ApprovalRules"/>)
    /// add to these and override the duration for the same capability.
    /// </summary>
    public IList<ApprovalRule> RequiredFor { get; } = [];

    /// <summary>How long a request waits for the user when it asks for no <c>requested_expiry</c> (default 5 minutes).</summary>
    public TimeSpan RequestLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest <c>requested_expiry</c> accepted (default 30 minutes).</summary>
    public TimeSpan MaxRequestLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The least time between two polls of one request (CIBA <c>interval</c>, default 5 seconds).</summary>
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest <c>binding_message</c>, in characters (default 100).</summary>
    public int MaxBindingMessageLength { get; set; } = 100;

    /// <summary>Whether a request must carry a <c>binding_message</c> (default true: the user sees what is asked).</summary>
    public bool RequireBindingMessage { get; set; } = true;

    /// <summary>
    /// The RFC 9396 <c>authorization_details</c> types an agent may ask for, each with the capability it needs and grants
    /// (e.g. <c>publish_article</c> → <c>write:articles</c>). A detail of another type is refused.
    /// </summary>
    public IDictionary<string, string> AuthorizationDetailTypes { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The largest <c>authorization_details</c> value, in bytes (default 4 KB).</summary>
    public int MaxAuthorizationDetailsBytes { get; set; } = 4 * 1024;

    /// <summary>The most pending requests one agent may hold for one user at a time (default 5).</summary>
    public int MaxPendingPerUserAndAgent { get; set; } = 5;
}
