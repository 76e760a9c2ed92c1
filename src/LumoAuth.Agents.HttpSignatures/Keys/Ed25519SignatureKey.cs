using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>RFC 9421 §3.3.6 <c>ed25519</c> (EdDSA over Curve25519, RFC 8032), through libsodium.</summary>
public sealed class Ed25519SignatureKey : HttpSignatureKey
{
    /// <summary>The algorithm name.</summary>
    public const string Name = "ed25519";

    private static readonly SignatureAlgorithm Algorithm25519 = SignatureAlgorithm.Ed25519;
    private readonly Key? _privateKey;
    private readonly PublicKey _publicKey;

    private Ed25519SignatureKey(Key? privateKey, PublicKey publicKey, string? keyId)
        : base(Name, keyId)
    {
        _privateKey = privateKey;
        _publicKey = publicKey;
    }

    /// <inheritdoc />
    public override bool CanSign => _privateKey is not null;

    /// <summary>A fresh key pair; the private key can be exported with <see cref="ExportPrivateKey"/>.</summary>
    public static Ed25519SignatureKey Generate(string? keyId = null)
    {
        var key = new Key(Algorithm25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new Ed25519SignatureKey(key, key.PublicKey, keyId);
    }

    /// <summary>A signing key from the 32-byte private seed.</summary>
    public static Ed25519SignatureKey FromPrivateKey(ReadOnlySpan<byte> seed, string? keyId = null)
    {
        var key = Key.Import(Algorithm25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new Ed25519SignatureKey(key, key.PublicKey, keyId);
    }

    /// <summary>A signing key from a PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    public static Ed25519SignatureKey FromPrivateKeyPem(string pem, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = Key.Import(Algorithm25519, System.Text.Encoding.ASCII.GetBytes(pem.Trim()), KeyBlobFormat.PkixPrivateKeyText, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        return new Ed25519SignatureKey(key, key.PublicKey, keyId);
    }

    /// <summary>A verification key from the 32-byte public key.</summary>
    public static Ed25519SignatureKey FromPublicKey(ReadOnlySpan<byte> publicKey, string? keyId = null) =>
        new(null, PublicKey.Import(Algorithm25519, publicKey, KeyBlobFormat.RawPublicKey), keyId);

    /// <summary>A verification key from an SPKI PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public static Ed25519SignatureKey FromPublicKeyPem(string pem, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        return new(null, PublicKey.Import(Algorithm25519, System.Text.Encoding.ASCII.GetBytes(pem.Trim()), KeyBlobFormat.PkixPublicKeyText), keyId);
    }

    /// <summary>The 32-byte private seed (keep it secret).</summary>
    public byte[] ExportPrivateKey() =>
        _privateKey?.Export(KeyBlobFormat.RawPrivateKey) ?? throw new InvalidOperationException("This key holds only the public half.");

    /// <inheritdoc />
    public override byte[] Sign(ReadOnlySpan<byte> data) =>
        _privateKey is null ? throw new InvalidOperationException("This key holds only the public half; it cannot sign.") : Algorithm25519.Sign(_privateKey, data);

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == Algorithm25519.SignatureSize && Algorithm25519.Verify(_publicKey, data, signature);

    /// <inheritdoc />
    public override JsonObject ToPublicJwk() => new()
    {
        ["kty"] = "OKP",
        ["crv"] = "Ed25519",
        ["x"] = Base64Url.Encode(_publicKey.Export(KeyBlobFormat.RawPublicKey)),
    };

    /// <inheritdoc />
    public override HttpSignatureKey ToPublic() => FromPublicKey(_publicKey.Export(KeyBlobFormat.RawPublicKey), KeyId);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _privateKey?.Dispose();
        }

        base.Dispose(disposing);
    }
}
