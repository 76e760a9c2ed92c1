using System.Text.Json;

namespace LumoAuth.Agents.Workload;

/// <summary>A workload's identity, read from a platform token whose signature, issuer, audience and times were verified.</summary>
public sealed record WorkloadIdentity
{
    /// <summary>The trusted issuer's name (<c>kubernetes</c>).</summary>
    public required string IssuerName { get; init; }

    /// <summary>The exact <c>iss</c>.</summary>
    public required string Issuer { get; init; }

    /// <summary>The <c>sub</c>.</summary>
    public required string Subject { get; init; }

    /// <summary>When the platform token expires.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The verified payload, for claim conditions.</summary>
    public required JsonElement Claims { get; init; }
}
