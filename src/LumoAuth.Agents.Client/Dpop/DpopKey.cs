using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.HttpSignatures.Keys;

namespace LumoAuth.Agents.Client.Dpop;

/// <summary>
/// An agent's DPoP key (RFC 9449): an ES256 (P-256) key pair the agent keeps, whose public half it shows in every proof
/// and to whose thumbprint its tokens are bound. A stolen token is useless without this key.
/// </summary>
public sealed class DpopKey : IDisposable
{
    private readonly ECDsa _key;

    private DpopKey(ECDsa key)
    {
        _key = key;
        var parameters = key.ExportParameters(includePrivateParameters: false);
        PublicJwk = new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(parameters.Q.X), ["y"] = Base64Url.Encode(parameters.Q.Y),
        };
        Thumbprint = JwkThumbprint.Compute(PublicJwk);
    }

    /// <summary>The proofs' algorithm.</summary>
    public const string Algorithm = "ES256";

    /// <summary>The public key as a JWK (<c>kty</c>, <c>crv</c>, <c>x</c>, <c>y</c> only).</summary>
    public JsonObject PublicJwk { get; }

    /// <summary>The RFC 7638 thumbprint of the public key: the <c>cnf.jkt</c> of tokens bound to it.</summary>
    public string Thumbprint { get; }

    /// <summary>A new P-256 key.</summary>
    public static DpopKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>A P-256 private key from PEM (<c>EC PRIVATE KEY</c> or PKCS #8).</summary>
    /// <exception cref="ArgumentException">The PEM is not a P-256 private key.</exception>
    public static DpopKey FromPem(string pem)
    {
        ArgumentException.ThrowIfNullOrEmpty(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                throw new ArgumentException("A DPoP key must be a P-256 (ES256) key.", nameof(pem));
            }

            return new DpopKey(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>A P-256 private key from a JWK (<c>kty</c> EC, <c>crv</c> P-256, <c>x</c>, <c>y</c>, <c>d</c>).</summary>
    /// <exception cref="ArgumentException">The JWK is not a P-256 private key.</exception>
    public static DpopKey FromJwk(JsonObject jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        string Member(string name) => jwk[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new ArgumentException($"A DPoP key's JWK needs '{name}'.", nameof(jwk));
        if (Member("kty") != "EC" || Member("crv") != "P-256")
        {
            throw new ArgumentException("A DPoP key must be a P-256 (ES256) EC key.", nameof(jwk));
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportParameters(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = Base64Url.Decode(Member("x")), Y = Base64Url.Decode(Member("y")) },
                D = Base64Url.Decode(Member("d")),
            });
            return new DpopKey(key);
        }
        catch (CryptographicException exception)
        {
            key.Dispose();
            throw new ArgumentException("The JWK is not a valid P-256 private key.", nameof(jwk), exception);
        }
    }

    /// <summary>
    /// A proof for one request: <paramref name="method"/> and <paramref name="uri"/> (sent without query or fragment), a new
    /// <c>jti</c>, <c>iat</c> <paramref name="now"/>, and when given the access token's hash (<c>ath</c>) and the server's nonce.
    /// </summary>
    public string CreateProof(string method, Uri uri, DateTimeOffset now, string? accessToken = null, string? nonce = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(uri);
        var header = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = Algorithm, ["jwk"] = PublicJwk.DeepClone() };
        var payload = new JsonObject
        {
            ["jti"] = Base64Url.Encode(RandomNumberGenerator.GetBytes(16)),
            ["htm"] = method,
            ["htu"] = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped),
            ["iat"] = now.ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            payload["ath"] = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        if (nonce is not null)
        {
            payload["nonce"] = nonce;
        }

        var input = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return input + "." + Base64Url.Encode(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
