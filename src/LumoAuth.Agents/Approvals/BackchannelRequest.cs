using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Approvals;

/// <summary>A backchannel authentication request as the endpoint read it (OpenID CIBA Core §7.1), its client authenticated.</summary>
public sealed record BackchannelRequest
{
    /// <summary>The authenticated agent.</summary>
    public required string AgentId { get; init; }

    /// <summary>The <c>login_hint</c>.</summary>
    public string? LoginHint { get; init; }

    /// <summary>Whether the request carried <c>id_token_hint</c> or <c>login_hint_token</c> (not supported: the agent names the user).</summary>
    public bool HasOtherHint { get; init; }

    /// <summary>The <c>binding_message</c>.</summary>
    public string? BindingMessage { get; init; }

    /// <summary>The <c>scope</c> value.</summary>
    public string? Scope { get; init; }

    /// <summary>The <c>authorization_details</c> value (RFC 9396).</summary>
    public string? AuthorizationDetails { get; init; }

    /// <summary>The <c>requested_expiry</c> value, in seconds.</summary>
    public string? RequestedExpiry { get; init; }

    /// <summary>The <c>client_notification_token</c> (ping mode).</summary>
    public string? NotificationToken { get; init; }

    /// <summary>The <c>audience</c> and <c>resource</c> values.</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>The thumbprint of the DPoP key the request was proven with, if any.</summary>
    public string? KeyThumbprint { get; init; }
}

/// <summary>The answer to a backchannel request: the stored request and the <c>auth_req_id</c> the agent gets, or the refusal.</summary>
/// <param name="Request">The stored request.</param>
/// <param name="AuthRequestId">The <c>auth_req_id</c> (256 random bits), returned once and never stored.</param>
/// <param name="Error">The refusal.</param>
public sealed record BackchannelOutcome(ApprovalRequest? Request, string? AuthRequestId, AgentError? Error);
