namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>The stored form of an approval request (OpenID CIBA). Times are UTC; scopes space-delimited.</summary>
public class LumoApprovalEntity
{
    /// <summary>The hex SHA-256 of the <c>auth_req_id</c>.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The agent that asks.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The user asked.</summary>
    public string UserSubject { get; set; } = string.Empty;

    /// <summary>The binding message.</summary>
    public string? BindingMessage { get; set; }

    /// <summary>The scopes asked for, space-delimited.</summary>
    public string Scopes { get; set; } = string.Empty;

    /// <summary>The RFC 9396 authorization details (JSON array).</summary>
    public string? AuthorizationDetails { get; set; }

    /// <summary>The token's audiences, space-delimited.</summary>
    public string Audiences { get; set; } = string.Empty;

    /// <summary>Poll (0) or ping (1).</summary>
    public int DeliveryMode { get; set; }

    /// <summary>The auth_req_id, kept for ping delivery only.</summary>
    public string? AuthRequestId { get; set; }

    /// <summary>The ping's bearer token.</summary>
    public string? NotificationToken { get; set; }

    /// <summary>The DPoP key thumbprint the request was proven with.</summary>
    public string? KeyThumbprint { get; set; }

    /// <summary>The status.</summary>
    public int Status { get; set; }

    /// <summary>When it was made.</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>When it lapses.</summary>
    public DateTime ExpiresAt { get; set; }

    /// <summary>The polling interval in seconds.</summary>
    public int IntervalSeconds { get; set; }

    /// <summary>The earliest next poll.</summary>
    public DateTime NextPollAt { get; set; }

    /// <summary>When the user first saw it.</summary>
    public DateTime? ShownAt { get; set; }

    /// <summary>When the user decided.</summary>
    public DateTime? DecidedAt { get; set; }

    /// <summary>Until when a lasting approval holds.</summary>
    public DateTime? ApprovalValidUntil { get; set; }
}
