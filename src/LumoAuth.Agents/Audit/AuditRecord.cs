namespace LumoAuth.Agents.Audit;

/// <summary>Whether a request ended with a token.</summary>
public enum AuditOutcome
{
    /// <summary>A token was issued.</summary>
    Issued = 0,

    /// <summary>The request was refused.</summary>
    Refused = 1,

    /// <summary>An administrative change was made (an agent registered, suspended, resumed or revoked).</summary>
    Changed = 2,
}

/// <summary>
/// One issuance or refusal, with the whole actor chain. Written before the response is sent; a request whose
/// record cannot be written fails.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>The record identifier.</summary>
    public Guid Id { get; init; } = Guid.NewGuid();

    /// <summary>When the decision was made.</summary>
    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The grant type of the request (<c>client_credentials</c>, the token-exchange URN, …).</summary>
    public string GrantType { get; init; } = string.Empty;

    /// <summary>The outcome.</summary>
    public AuditOutcome Outcome { get; init; }

    /// <summary>The stable reason code for a refusal (see <c>AgentErrorCodes</c>), or <see langword="null"/>.</summary>
    public string? ReasonCode { get; init; }

    /// <summary>The OAuth error sent, or <see langword="null"/>.</summary>
    public string? Error { get; init; }

    /// <summary>The human description sent with a refusal.</summary>
    public string? Description { get; init; }

    /// <summary>The client that authenticated the request, or <see langword="null"/> when the actor token alone proved the agent.</summary>
    public string? ClientId { get; init; }

    /// <summary>The agent that obtained the token, or would have: the client for client credentials, the new actor for delegation.</summary>
    public string? AgentId { get; init; }

    /// <summary>The subject of the token (<c>user:alice</c>, <c>agent:research-bot</c>), when known.</summary>
    public string? Subject { get; init; }

    /// <summary>The issued (or attempted) <c>act</c> claim as JSON, current actor outermost.</summary>
    public string? ActorChain { get; init; }

    /// <summary>The chain in words: "Search Tool, used by Research Bot, acting for Alice".</summary>
    public string? ChainDescription { get; init; }

    /// <summary>The number of actors in the chain.</summary>
    public int ChainDepth { get; init; }

    /// <summary>The scopes asked for, space-delimited.</summary>
    public string? ScopesRequested { get; init; }

    /// <summary>The scopes granted, space-delimited.</summary>
    public string? ScopesGranted { get; init; }

    /// <summary>The audiences of the issued token, space-delimited.</summary>
    public string? Audiences { get; init; }

    /// <summary>The issued token's identifier (<c>jti</c>).</summary>
    public string? TokenId { get; init; }

    /// <summary>The caller's IP address.</summary>
    public string? ClientIp { get; init; }

    /// <summary>For a workload login: the platform token's issuer (<c>iss</c>), even when refused.</summary>
    public string? WorkloadIssuer { get; init; }

    /// <summary>For a workload login: the platform token's subject, even when refused.</summary>
    public string? WorkloadSubject { get; init; }
}
