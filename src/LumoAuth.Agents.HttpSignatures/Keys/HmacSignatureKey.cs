using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>RFC 9421 §3.3.3 <c>hmac-sha256</c> with a shared secret both sides hold (at least 32 bytes).</summary>
public sealed class HmacSignatureKey : HttpSignatureKey
{
    /// <summary>The algorithm name.</summary>
    public const string Name = "hmac-sha256";

    private readonly byte[] _secret;

    /// <summary>A key over <paramref name="secret"/>.</summary>
    public HmacSignatureKey(ReadOnlySpan<byte> secret, string? keyId = null)
        : base(Name, keyId)
    {
        if (secret.Length < 32)
        {
            throw new ArgumentException("A shared secret shorter than 32 bytes is refused.", nameof(secret));
        }

        _secret = secret.ToArray();
    }

    /// <inheritdoc />
    public override bool CanSign => true;

    /// <inheritdoc />
    public override byte[] Sign(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_secret, data);

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_secret, data), signature);

    /// <inheritdoc />
    public override JsonObject? ToPublicJwk() => null;

    /// <inheritdoc />
    public override HttpSignatureKey ToPublic() => throw new InvalidOperationException("A shared secret has no public half.");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        CryptographicOperations.ZeroMemory(_secret);
        base.Dispose(disposing);
    }
}
