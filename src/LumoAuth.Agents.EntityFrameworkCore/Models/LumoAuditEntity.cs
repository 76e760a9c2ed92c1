namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>The stored form of an audit record.</summary>
public class LumoAuditEntity
{
    /// <summary>Column lengths of the bounded fields; longer values are cut to fit, never dropped.</summary>
    internal static class Lengths
    {
        public const int GrantType = 200;
        public const int ReasonCode = 100;
        public const int Error = 50;
        public const int Identifier = 200;
        public const int TokenId = 100;
        public const int ClientIp = 64;
        public const int Workload = 500;
    }

    /// <summary>The record id.</summary>
    public Guid Id { get; set; }

    /// <summary>When it happened (UTC).</summary>
    public DateTime OccurredAt { get; set; }

    /// <summary>The grant type.</summary>
    public string GrantType { get; set; } = string.Empty;

    /// <summary>0 issued, 1 refused.</summary>
    public int Outcome { get; set; }

    /// <summary>The stable reason code.</summary>
    public string? ReasonCode { get; set; }

    /// <summary>The OAuth error.</summary>
    public string? Error { get; set; }

    /// <summary>The description sent.</summary>
    public string? Description { get; set; }

    /// <summary>The client.</summary>
    public string? ClientId { get; set; }

    /// <summary>The agent.</summary>
    public string? AgentId { get; set; }

    /// <summary>The subject.</summary>
    public string? Subject { get; set; }

    /// <summary>The act claim as JSON.</summary>
    public string? ActorChain { get; set; }

    /// <summary>The chain in words.</summary>
    public string? ChainDescription { get; set; }

    /// <summary>The chain depth.</summary>
    public int ChainDepth { get; set; }

    /// <summary>Requested scopes.</summary>
    public string? ScopesRequested { get; set; }

    /// <summary>Granted scopes.</summary>
    public string? ScopesGranted { get; set; }

    /// <summary>Audiences.</summary>
    public string? Audiences { get; set; }

    /// <summary>The issued token's id.</summary>
    public string? TokenId { get; set; }

    /// <summary>The caller's IP address.</summary>
    public string? ClientIp { get; set; }

    /// <summary>A workload login's platform issuer.</summary>
    public string? WorkloadIssuer { get; set; }

    /// <summary>A workload login's platform subject.</summary>
    public string? WorkloadSubject { get; set; }
}
