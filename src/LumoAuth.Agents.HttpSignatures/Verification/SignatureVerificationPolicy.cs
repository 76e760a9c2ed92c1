namespace LumoAuth.Agents.HttpSignatures.Verification;

/// <summary>
/// What a verifier demands of a signature beyond its mathematics (RFC 9421 §3.2.1, §7): which components must be
/// covered, how fresh it must be, whether a nonce is required. The defaults are strict.
/// </summary>
public sealed record SignatureVerificationPolicy
{
    /// <summary>The label to verify; when null the message must carry exactly one signature.</summary>
    public string? Label { get; init; }

    /// <summary>Components that must be covered (names such as <c>@method</c>, <c>@target-uri</c>, <c>signature-key</c>).</summary>
    public IReadOnlyList<string> RequiredComponents { get; init; } = [];

    /// <summary>Header fields that must be covered whenever the message carries them (for example <c>authorization</c>).</summary>
    public IReadOnlyList<string> CoveredWhenPresent { get; init; } = [];

    /// <summary>When the message has a body, <c>content-digest</c> must be covered and match it. On by default.</summary>
    public bool RequireContentDigestWithBody { get; init; } = true;

    /// <summary>Whether <c>created</c> is required. On by default.</summary>
    public bool RequireCreated { get; init; } = true;

    /// <summary>The oldest <c>created</c> accepted. Five minutes by default.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How far in the future <c>created</c> may lie (clock skew). Thirty seconds by default.</summary>
    public TimeSpan AllowedClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether a <c>nonce</c> is required (and then checked for replay). Off by default.</summary>
    public bool RequireNonce { get; init; }

    /// <summary>The <c>tag</c> the signature must carry, when the application defines one.</summary>
    public string? RequiredTag { get; init; }

    /// <summary>The most components a signature may cover (32 by default); more is refused before any work on them.</summary>
    public int MaxComponents { get; init; } = 32;

    /// <summary>The algorithms accepted; null accepts every algorithm this library implements.</summary>
    public IReadOnlyCollection<string>? AllowedAlgorithms { get; init; }
}
