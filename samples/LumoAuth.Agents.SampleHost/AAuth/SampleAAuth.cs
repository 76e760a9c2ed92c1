using System.Security.Cryptography;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.HttpSignatures.Keys;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.SampleHost.AAuth;

/// <summary>
/// Seed pattern 4 in the sample: research-bot's enrolled ed25519 key (the private half is in
/// <c>AAuth/research-bot.sample-key.pem</c> so the README's curl/openssl steps can sign with it — a local-trial key,
/// never to be used anywhere else), and a sample resource, "Acme articles", served by this host, whose resource
/// tokens are signed with a P-256 key kept in the data folder.
/// </summary>
internal static class SampleAAuth
{
    public const string ResourceId = "acme-articles";
    public static readonly Uri ResourceIdentifier = new("https://api.acme-corp.example/articles");

    public const string ResearchBotPublicKeyPem = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAOJrtT/5no9g1YdLavoFKFbo1wOPh4lyvQJd8xoV+MkI=
        -----END PUBLIC KEY-----
        """;

    /// <summary>research-bot's public signing key as the JWK the registry stores.</summary>
    public static string ResearchBotJwk()
    {
        using var key = Ed25519SignatureKey.FromPublicKeyPem(ResearchBotPublicKeyPem);
        return key.ToPublicJwk().ToJsonString();
    }

    /// <summary>The sample resource's key for resource tokens, created once in the data folder.</summary>
    public static ECDsaSecurityKey LoadOrCreateResourceKey(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "resource-signing-key.pem");
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            ecdsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            File.WriteAllText(path, ecdsa.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        var key = new ECDsaSecurityKey(ecdsa);
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }

    /// <summary>The resource as the token server knows it: its identifier and the public half of its key.</summary>
    public static AAuthResource Resource(ECDsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
        var resource = new AAuthResource { Id = ResourceId, Identifier = ResourceIdentifier };
        resource.SigningKeys.Add(System.Text.Json.JsonSerializer.Serialize(new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, alg = "ES256" }));
        return resource;
    }
}
