using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>
/// RFC 9421 §3.3.4 <c>ecdsa-p256-sha256</c> and §3.3.5 <c>ecdsa-p384-sha384</c>: the signature is the fixed-length
/// concatenation r‖s (IEEE P1363), not DER.
/// </summary>
public sealed class EcdsaSignatureKey : HttpSignatureKey
{
    /// <summary>ECDSA over P-256 with SHA-256.</summary>
    public const string P256Sha256 = "ecdsa-p256-sha256";

    /// <summary>ECDSA over P-384 with SHA-384.</summary>
    public const string P384Sha384 = "ecdsa-p384-sha384";

    private readonly ECDsa _key;
    private readonly bool _hasPrivate;

    private EcdsaSignatureKey(ECDsa key, bool hasPrivate, string? keyId)
        : base(key.KeySize == 384 ? P384Sha384 : P256Sha256, keyId)
    {
        if (key.KeySize is not (256 or 384))
        {
            key.Dispose();
            throw new ArgumentException("Only P-256 and P-384 keys are supported.", nameof(key));
        }

        _key = key;
        _hasPrivate = hasPrivate;
    }

    /// <inheritdoc />
    public override bool CanSign => _hasPrivate;

    private HashAlgorithmName Hash => _key.KeySize == 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    /// <summary>A fresh P-256 (or P-384) key pair.</summary>
    public static EcdsaSignatureKey Generate(string algorithm = P256Sha256, string? keyId = null) =>
        new(ECDsa.Create(algorithm == P384Sha384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256), true, keyId);

    /// <summary>A key from PEM: a private key (PKCS#8 or SEC1) signs, a public key (SPKI) verifies.</summary>
    public static EcdsaSignatureKey FromPem(string pem, string? keyId = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return new EcdsaSignatureKey(key, pem.Contains("PRIVATE KEY", StringComparison.Ordinal), keyId);
    }

    /// <summary>A verification key from the curve name and coordinates of a JWK.</summary>
    public static EcdsaSignatureKey FromPublicParameters(string? curve, byte[] x, byte[] y, string? keyId = null)
    {
        var (named, length) = curve switch
        {
            "P-256" => (ECCurve.NamedCurves.nistP256, 32),
            "P-384" => (ECCurve.NamedCurves.nistP384, 48),
            _ => throw new ArgumentException("Only the curves P-256 and P-384 are supported.", nameof(curve)),
        };
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Length != length || y.Length != length)
        {
            throw new ArgumentException("The coordinates do not have the curve's length.", nameof(x));
        }

        return new EcdsaSignatureKey(ECDsa.Create(new ECParameters { Curve = named, Q = new ECPoint { X = x, Y = y } }), false, keyId);
    }

    /// <inheritdoc />
    public override byte[] Sign(ReadOnlySpan<byte> data) =>
        _hasPrivate ? _key.SignData(data, Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation) : throw new InvalidOperationException("This key holds only the public half; it cannot sign.");

    /// <inheritdoc />
    public override bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 2 * (_key.KeySize / 8) && _key.VerifyData(data, signature, Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc />
    public override JsonObject ToPublicJwk()
    {
        var parameters = _key.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = _key.KeySize == 384 ? "P-384" : "P-256",
            ["x"] = Base64Url.Encode(parameters.Q.X),
            ["y"] = Base64Url.Encode(parameters.Q.Y),
        };
    }

    /// <inheritdoc />
    public override HttpSignatureKey ToPublic()
    {
        var parameters = _key.ExportParameters(false);
        return FromPublicParameters(_key.KeySize == 384 ? "P-384" : "P-256", parameters.Q.X!, parameters.Q.Y!, KeyId);
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
