using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Issuance;

/// <summary>
/// What the policy decided about one token request: the token to issue, or the refusal. Either way it carries
/// what is known of the request so the audit record is complete.
/// </summary>
public sealed record IssuanceDecision
{
    /// <summary>The refusal, or <see langword="null"/> when a token is to be issued.</summary>
    public AgentError? Error { get; init; }

    /// <summary>True when a token is to be issued.</summary>
    public bool IsGranted => Error is null;

    /// <summary>The token's subject (<c>sub</c>), when known.</summary>
    public string? Subject { get; init; }

    /// <summary>The agent that gets the token (the client, or the new actor).</summary>
    public AgentProfile? Agent { get; init; }

    /// <summary>The agent identifier even when no such agent was found.</summary>
    public string? AgentId { get; init; }

    /// <summary>The actor chain of the token (current actor first), or the one that was asked for.</summary>
    public ActorChain Chain { get; init; } = ActorChain.Empty;

    /// <summary>The platform issuer (<c>iss</c>) of a workload login (seed pattern 2), recorded in the token and the audit.</summary>
    public string? WorkloadIssuer { get; init; }

    /// <summary>The platform subject of a workload login, recorded in the token and the audit.</summary>
    public string? WorkloadSubject { get; init; }

    /// <summary>The approval the token rests on (OpenID CIBA), named in the token as <c>approval_id</c>.</summary>
    public string? ApprovalId { get; init; }

    /// <summary>What the user approved (RFC 9396 <c>authorization_details</c>, a JSON array), carried in the token.</summary>
    public string? AuthorizationDetails { get; init; }

    /// <summary>The granted scopes.</summary>
    public ScopeSet Scopes { get; init; } = ScopeSet.Empty;

    /// <summary>The token's audiences.</summary>
    public IReadOnlyList<string> Audiences { get; init; } = [];

    /// <summary>When the decision was made; the token's lifetime runs from here.</summary>
    public DateTimeOffset IssuedAt { get; init; }

    /// <summary>When the token expires.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The token lifetime in whole seconds, rounded down so it never outlives its inputs.</summary>
    public TimeSpan Lifetime => TimeSpan.FromSeconds(Math.Floor((ExpiresAt - IssuedAt).TotalSeconds));

    /// <summary>A refusal that keeps what is known of the request.</summary>
    public IssuanceDecision Refuse(string code, string oauthError, string description) =>
        this with { Error = new AgentError(code, oauthError, description) };
}
