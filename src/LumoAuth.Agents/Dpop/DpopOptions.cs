namespace LumoAuth.Agents.Dpop;

/// <summary>
/// What a DPoP proof (RFC 9449) must be to be accepted, at the token server and at resources alike. The defaults follow
/// RFC 9449 and RFC 8725: asymmetric algorithms only, proofs fresh within five minutes.
/// </summary>
public sealed class DpopOptions
{
    /// <summary>The JWS algorithms a proof may be signed with (default: ES256/384/512, PS256/384/512, RS256/384/512).</summary>
    public IList<string> Algorithms { get; } = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"];

    /// <summary>How old a proof's <c>iat</c> may be (default 5 minutes); its <c>jti</c> is remembered as long.</summary>
    public TimeSpan ProofLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How far in the future a proof's <c>iat</c> may be, for clocks that run ahead (default 30 seconds).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest proof accepted, in characters (default 8 KB).</summary>
    public int MaxProofLength { get; set; } = 8 * 1024;
}
