using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Approvals;

/// <summary>Where an approval request stands.</summary>
public enum ApprovalStatus
{
    /// <summary>Waiting for the user.</summary>
    Pending = 0,

    /// <summary>The user approved; the agent has not redeemed it yet.</summary>
    Approved = 1,

    /// <summary>The user refused.</summary>
    Denied = 2,

    /// <summary>The agent received its token.</summary>
    Redeemed = 3,

    /// <summary>Nobody decided in time.</summary>
    Expired = 4,
}

/// <summary>How the agent learns of the user's decision (CIBA Core §5).</summary>
public enum ApprovalDeliveryMode
{
    /// <summary>The agent polls the token endpoint.</summary>
    Poll = 0,

    /// <summary>The server posts to the agent's notification endpoint, then the agent asks the token endpoint once.</summary>
    Ping = 1,
}

/// <summary>
/// One backchannel authentication request (OpenID CIBA): an agent asking a user to approve an action, and what became
/// of it. The <c>auth_req_id</c> the agent holds is stored as its SHA-256 (<see cref="Id"/>), and in clear only for ping
/// delivery, which must send it back.
/// </summary>
public sealed record ApprovalRequest
{
    /// <summary>The hex SHA-256 of the <c>auth_req_id</c>; also the handle the user's approval page uses.</summary>
    public required string Id { get; init; }

    /// <summary>The agent that asks (the client).</summary>
    public required string AgentId { get; init; }

    /// <summary>The user asked (<c>user:&lt;id&gt;</c>).</summary>
    public required string UserSubject { get; init; }

    /// <summary>Shown to the user on both devices so they can tell this request from another.</summary>
    public string? BindingMessage { get; init; }

    /// <summary>The capabilities asked for.</summary>
    public ScopeSet Scopes { get; init; } = ScopeSet.Empty;

    /// <summary>The RFC 9396 <c>authorization_details</c> JSON array, or <see langword="null"/>.</summary>
    public string? AuthorizationDetails { get; init; }

    /// <summary>The token's audiences.</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>How the agent learns of the decision.</summary>
    public ApprovalDeliveryMode DeliveryMode { get; init; }

    /// <summary>
    /// The <c>auth_req_id</c> itself, kept for ping delivery only (CIBA Core §10.2 sends it back); redeeming it still
    /// takes the agent's client authentication.
    /// </summary>
    public string? AuthRequestId { get; init; }

    /// <summary>The bearer token the server sends with a ping (CIBA <c>client_notification_token</c>).</summary>
    public string? NotificationToken { get; init; }

    /// <summary>The thumbprint of the key the request was proven with (DPoP), the token is then bound to it.</summary>
    public string? KeyThumbprint { get; init; }

    /// <summary>Where the request stands.</summary>
    public ApprovalStatus Status { get; init; }

    /// <summary>When it was made.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it lapses if nobody decides (CIBA <c>expires_in</c>).</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The least seconds between polls; grows by 5 with each <c>slow_down</c>.</summary>
    public int IntervalSeconds { get; init; }

    /// <summary>The earliest time of the next poll.</summary>
    public DateTimeOffset NextPollAt { get; init; }

    /// <summary>When the user first saw it on the approval page.</summary>
    public DateTimeOffset? ShownAt { get; init; }

    /// <summary>When the user approved or denied it.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>
    /// Until when an approval of a capability with a lasting rule lets the agent obtain it by exchange as well;
    /// <see langword="null"/> for single-use approvals.
    /// </summary>
    public DateTimeOffset? ApprovalValidUntil { get; init; }

    /// <summary>True when nobody decided and the time is past.</summary>
    public bool IsExpiredAt(DateTimeOffset now) => Status == ApprovalStatus.Pending && now >= ExpiresAt;
}
