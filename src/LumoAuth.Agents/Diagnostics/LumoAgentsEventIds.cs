namespace LumoAuth.Agents.Diagnostics;

/// <summary>
/// Every log event the packages write, one id and one name each, so a host can filter or alert on them
/// (<c>EventId.Id</c> or <c>EventId.Name</c>). Ranges: 3xxx the protocol boundary, 4xxx the token server,
/// 5xxx resources and the pack's APIs. Ids are never reused for another meaning.
/// </summary>
public static class LumoAgentsEventIds
{
    /// <summary>An agent's notification endpoint answered an approval ping with an error status; the agent can still poll (Warning).</summary>
    public const int ApprovalPingRefused = 4120;

    /// <summary>An approval ping could not be delivered (unreachable, timed out); the agent can still poll (Warning).</summary>
    public const int ApprovalPingFailed = 4121;

    /// <summary>A protocol request failed unexpectedly; an OAuth error was returned in its place (Error).</summary>
    public const int ProtocolRequestFailed = 3100;

    /// <summary>A protocol request could not be read and was refused with <c>invalid_request</c> (Information).</summary>
    public const int ProtocolRequestUnreadable = 3101;

    /// <summary>The audit record of an unreadable request could not be written (Warning).</summary>
    public const int UnreadableRequestNotAudited = 3102;

    /// <summary>The audit record of a token request could not be written; the request was failed (Error).</summary>
    public const int TokenAuditFailed = 4100;

    /// <summary>A token was issued to an agent (Information).</summary>
    public const int TokenIssued = 4101;

    /// <summary>A token request was refused (Information).</summary>
    public const int TokenRefused = 4102;

    /// <summary>The agent policy failed; the token request was refused (Error).</summary>
    public const int PolicyFailed = 4103;

    /// <summary>An AAuth token was issued (Information).</summary>
    public const int AAuthTokenIssued = 4104;

    /// <summary>An AAuth token request was refused (Information).</summary>
    public const int AAuthTokenRefused = 4105;

    /// <summary>An AAuth answer was withheld because its audit record could not be written (Error).</summary>
    public const int AAuthAuditFailed = 4106;

    /// <summary>Audit records past their retention were removed (Information).</summary>
    public const int AuditRecordsPurged = 4110;

    /// <summary>Removing expired audit records failed; it is retried at the next interval (Warning).</summary>
    public const int AuditPurgeFailed = 4111;

    /// <summary>A workload issuer's keys could not be fetched (Warning).</summary>
    public const int WorkloadKeysUnavailable = 4200;

    /// <summary>A resource refused a bearer token (Information).</summary>
    public const int BearerTokenRefused = 5100;

    /// <summary>A resource could not get the token server's signing keys (Warning).</summary>
    public const int SigningKeysUnavailable = 5101;

    /// <summary>A resource refused a caller its authorization requirements (Information).</summary>
    public const int CallerForbidden = 5110;

    /// <summary>An agent is over its API-call budget (Information).</summary>
    public const int ApiCallBudgetSpent = 5120;

    /// <summary>An agent's API-call budget could not be checked; the call was refused (Warning).</summary>
    public const int ApiCallBudgetUnavailable = 5121;

    /// <summary>The audit summary of refusals without a valid token could not be written (Warning).</summary>
    public const int RefusalSummaryNotAudited = 5130;

    /// <summary>A call to the pack's admin, usage or audit API failed; answered 503 (Error).</summary>
    public const int ApiRequestFailed = 5131;
}
