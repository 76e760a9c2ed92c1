using System.Security.Cryptography;
using System.Text;

namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>RFC 9421 §3.3.3 <c>hmac-sha256</c> over a signature base, for a shared secret the verifier holds.</summary>
public static class HmacSha256Signer
{
    /// <summary>The algorithm name.</summary>
    public const string Algorithm = "hmac-sha256";

    /// <summary>The signature of <paramref name="signatureBase"/>.</summary>
    public static byte[] Sign(string signatureBase, ReadOnlySpan<byte> key) =>
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signatureBase));

    /// <summary>True when <paramref name="signature"/> is the signature of <paramref name="signatureBase"/>, compared in constant time.</summary>
    public static bool Verify(string signatureBase, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> key) =>
        CryptographicOperations.FixedTimeEquals(Sign(signatureBase, key), signature);
}
