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

    /// <summary>
    /// Whether proofs must carry a nonce this server handed out (RFC 9449 §8, §9): a proof without one, or with a stale
    /// or foreign one, is answered <c>use_dpop_nonce</c> with a fresh nonce in <c>DPoP-Nonce</c>. This bounds how long a
    /// proof made in advance (with a clock set ahead) can be used. Needs <see cref="NonceSecret"/>. Off by default.
    /// </summary>
    public bool RequireNonce { get; set; }

    /// <summary>
    /// The secret nonces are made with, the same on every instance (at least 32 characters; keep it in a secret store).
    /// A nonce made by one instance is then good on all.
    /// </summary>
    public string? NonceSecret { get; set; }

    /// <summary>How long one nonce window lasts (default 5 minutes); a nonce is good in its window and the next.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The nonces under these options, or null when they are not required.</summary>
    public DpopNonces? Nonces(TimeProvider time) =>
        RequireNonce && NonceSecret is { Length: >= 32 } secret ? new DpopNonces(System.Text.Encoding.UTF8.GetBytes(secret), NonceLifetime, time) : null;
}
