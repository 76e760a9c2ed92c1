using System.Text.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>
/// A key that signs or verifies RFC 9421 signatures, bound to exactly one algorithm. The verifier uses the algorithm
/// of the key it holds, never one named by the message (RFC 9421 §3.2, §7.3.6): an <c>alg</c> parameter that
/// disagrees with the key fails verification.
/// </summary>
public abstract class HttpSignatureKey : IDisposable
{
    private protected HttpSignatureKey(string algorithm, string? keyId)
    {
        Algorithm = algorithm;
        KeyId = keyId;
    }

    /// <summary>The RFC 9421 algorithm name (for example <c>ed25519</c>).</summary>
    public string Algorithm { get; }

    /// <summary>The key identifier carried in the <c>keyid</c> parameter, when there is one.</summary>
    public string? KeyId { get; }

    /// <summary>Whether this key holds private (or shared) material and can sign.</summary>
    public abstract bool CanSign { get; }

    /// <summary>Signs <paramref name="data"/>.</summary>
    /// <exception cref="InvalidOperationException">The key holds only public material.</exception>
    public abstract byte[] Sign(ReadOnlySpan<byte> data);

    /// <summary>True when <paramref name="signature"/> is a valid signature of <paramref name="data"/> under this key.</summary>
    public abstract bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);

    /// <summary>The public key as a JWK (RFC 7517), with the members RFC 7638 names and <c>alg</c>; null for shared secrets.</summary>
    public abstract JsonObject? ToPublicJwk();

    /// <summary>The RFC 7638 SHA-256 thumbprint of the public key (base64url), null for shared secrets.</summary>
    public string? Thumbprint => ToPublicJwk() is { } jwk ? JwkThumbprint.Compute(jwk) : null;

    /// <summary>A public-only copy (safe to hand to verifiers or publish).</summary>
    public abstract HttpSignatureKey ToPublic();

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the key material.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// A verification key from a public JWK. The algorithm comes from the key: <c>OKP</c>/<c>Ed25519</c> is
    /// <c>ed25519</c>, <c>EC</c> P-256 and P-384 are the matching ECDSA algorithms, and an <c>RSA</c> key must say
    /// <c>alg</c> <c>PS512</c> (<c>rsa-pss-sha512</c>) or <c>RS256</c> (<c>rsa-v1_5-sha256</c>) because an RSA key
    /// alone does not decide between them. Private members are refused, so a verifier never holds signing material
    /// it was handed by a client.
    /// </summary>
    /// <returns>False with the reason when the JWK is not a usable public key.</returns>
    public static bool TryFromPublicJwk(JsonElement jwk, string? keyId, out HttpSignatureKey? key, out string? error)
    {
        key = null;
        error = null;
        if (jwk.ValueKind != JsonValueKind.Object)
        {
            error = "The key is not a JSON object.";
            return false;
        }

        if (jwk.TryGetProperty("d", out _) || jwk.TryGetProperty("p", out _) || jwk.TryGetProperty("k", out _))
        {
            error = "The key holds private or symmetric material; only public keys are accepted.";
            return false;
        }

        string? Text(string name) => jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        byte[]? Bytes(string name)
        {
            var text = Text(name);
            if (text is null)
            {
                return null;
            }

            try
            {
                return Base64Url.Decode(text);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        var alg = Text("alg");
        try
        {
            switch (Text("kty"))
            {
                case "OKP" when Text("crv") == "Ed25519" && Bytes("x") is { Length: 32 } x && alg is null or "EdDSA" or "Ed25519":
                    key = Ed25519SignatureKey.FromPublicKey(x, keyId);
                    return true;
                case "EC" when Bytes("x") is { } x && Bytes("y") is { } y && alg is null or "ES256" or "ES384":
                    key = EcdsaSignatureKey.FromPublicParameters(Text("crv"), x, y, keyId);
                    return true;
                case "RSA" when Bytes("n") is { } n && Bytes("e") is { } e:
                    key = alg switch
                    {
                        "PS512" => RsaSignatureKey.FromPublicParameters(RsaSignatureKey.PssSha512, n, e, keyId),
                        "RS256" => RsaSignatureKey.FromPublicParameters(RsaSignatureKey.Pkcs1Sha256, n, e, keyId),
                        _ => null,
                    };
                    error = key is null ? "An RSA key must name its algorithm: alg PS512 or RS256." : null;
                    return key is not null;
                default:
                    error = "The key is not an Ed25519, P-256, P-384 or RSA public key with the members its type needs.";
                    return false;
            }
        }
        catch (Exception exception) when (exception is ArgumentException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            error = "The key's parameters do not form a valid public key: " + exception.Message;
            return false;
        }
    }
}
