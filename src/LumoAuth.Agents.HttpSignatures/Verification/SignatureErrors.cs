namespace LumoAuth.Agents.HttpSignatures.Verification;

/// <summary>
/// Why a signature was refused: stable codes a caller can act on, reported by servers in a <c>Signature-Error</c>
/// response header (<c>error=invalid_signature</c>), named as the HTTP Signature-Key drafts name them, plus
/// <c>expired</c>, <c>invalid_digest</c> and <c>replayed</c>, which those drafts leave to the application.
/// </summary>
public static class SignatureErrors
{
    /// <summary>The <c>Signature-Input</c>/<c>Signature</c> fields are missing, malformed, or do not agree.</summary>
    public const string InvalidInput = "invalid_input";

    /// <summary>The signature does not verify under the key.</summary>
    public const string InvalidSignature = "invalid_signature";

    /// <summary>No key is known for the signature.</summary>
    public const string UnknownKey = "unknown_key";

    /// <summary>The algorithm is not the key's, or not one this verifier accepts.</summary>
    public const string UnsupportedAlgorithm = "unsupported_algorithm";

    /// <summary>The signature is too old or past its <c>expires</c>.</summary>
    public const string Expired = "expired";

    /// <summary>The signature's <c>created</c> lies in the future beyond the allowed skew.</summary>
    public const string ClockSkew = "clock_skew";

    /// <summary>A component the verifier requires is not covered; the result names them (<c>required_input</c>).</summary>
    public const string MissingComponent = InvalidInput;

    /// <summary>The key conveyed with the signature is malformed or not acceptable.</summary>
    public const string InvalidKey = "invalid_key";

    /// <summary>The body does not match its <c>Content-Digest</c>.</summary>
    public const string InvalidDigest = "invalid_digest";

    /// <summary>The nonce was seen before: the request is a replay.</summary>
    public const string Replayed = "replayed";

    /// <summary>The name of the response header servers report these codes in.</summary>
    public const string HeaderName = "Signature-Error";
}
