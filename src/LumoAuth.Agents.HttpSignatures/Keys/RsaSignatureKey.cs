using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>
/// RFC 9421 §3.3.1 <c>rsa-pss-sha512</c> (MGF1 with SHA-512, 64-byte salt) and §3.3.2 <c>rsa-v1_5-sha256</c>. Which
/// one a key serves is fixed when it is created; keys under 2048 bits are refused.
/// </summary>
public sealed class RsaSignatureKey : HttpSignatureKey
{
    /// <summary>RSASSA-PSS with SHA-512.</summary>
    public const string PssSha512 = "rsa-pss-sha512";

    /// <summary>RSASSA-PKCS1-v1_5 with SHA-256.</summary>
    public const string Pkcs1Sha256 = "rsa-v1_5-sha256";

    private readonly RSA _key;
    private readonly bool _hasPrivate;

    private RsaSignatureKey(string algorithm, RSA key, bool hasPrivate, string? keyId)
        : base(algorithm, keyId)
    {
        if (algorithm is not (PssSha512 or Pkcs1Sha256))
        {
            key.Dispose();
            throw new ArgumentException($"'{algorithm}' is not an RSA signature algorithm of RFC 9421.", nameof(algorithm));
        }

        if (key.KeySize is < 2048 or > 8192)
        {
            key.Dispose();
            throw new ArgumentException("RSA keys under 2048 or over 8192 bits are refused.", nameof(key));
        }

        _key = key;
        _hasPrivate = hasPrivate;
    }

    /// <inheritdoc />
    public override bool CanSign => _hasPrivate;

    private HashAlgorithmName Hash => Algorithm == PssSha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;

    private RSASignaturePadding Padding => Algorithm == PssSha512 ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;

    /// <summary>A fresh key pair for <paramref name="algorithm"/>.</summary>
    public static RsaSignatureKey Generate(string algorithm = PssSha512, int bits = 2048, string? keyId = null) => new(algorithm, RSA.Create(bits), true, keyId);

    /// <summary>A key from PEM for <paramref name="algorithm"/>: a private key signs, a public key verifies.</summary>
    public static RsaSignatureKey FromPem(string algorithm, string pem, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = RSA.Create();
        key.ImportFromPem(pem);
        return new RsaSignatureKey(algorithm, key, pem.Contains("PRIVATE KEY", StringComparison.Ordinal), keyId);
    }

    /// <summary>A key from RSA parameters: with the private exponent it signs, without it only verifies.</summary>
    public static RsaSignatureKey FromParameters(string algorithm, RSAParameters parameters, string? keyId = null) =>
        new(algorithm, RSA.Create(parameters), parameters.D is not null, keyId);

    /// <summary>A verification key from the modulus and exponent of a JWK.</summary>
    public static RsaSignatureKey FromPublicParameters(string algorithm, byte[] modulus, byte[] exponent, string? keyId = null) =>
        new(algorithm, RSA.Create(new RSAParameters { Modulus = modulus, Exponent = exponent }), false, keyId);

    /// <inheritdoc />
    public override byte[] Sign(ReadOnlySpan<byte> data) =>
        _hasPrivate ? _key.SignData(data.ToArray(), Hash, Padding) : throw new InvalidOperationException("This key holds only the public half; it cannot sign.");

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => _key.VerifyData(data, signature, Hash, Padding);

    /// <inheritdoc />
    public override JsonObject ToPublicJwk()
    {
        var parameters = _key.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["n"] = Base64Url.Encode(parameters.Modulus),
            ["e"] = Base64Url.Encode(parameters.Exponent),
            ["alg"] = Algorithm == PssSha512 ? "PS512" : "RS256",
        };
    }

    /// <inheritdoc />
    public override HttpSignatureKey ToPublic()
    {
        var parameters = _key.ExportParameters(false);
        return FromPublicParameters(Algorithm, parameters.Modulus!, parameters.Exponent!, KeyId);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}
