using System.Security.Cryptography;
using System.Text.Json;
using LumoAuth.Agents.Workload;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.SampleHost.Workload;

/// <summary>
/// DEV ONLY. A stand-in for a Kubernetes cluster's service account issuer, so the seed's pattern 2 request can be
/// tried on one machine: it mints Kubernetes-shaped projected service account tokens with a local key, and the
/// sample trusts that key as a pinned JWKS. Enabled by <c>Sample:DevKubernetesIssuer</c> in the Development environment
/// only (the host refuses to start otherwise), and it answers loopback callers only: anyone who could reach it could
/// mint workload identities.
/// </summary>
internal sealed class DevKubernetesIssuer
{
    public const string Name = "kubernetes";
    public const string IssuerUri = "https://kubernetes.default.svc.cluster.local";
    public const string Audience = "acme-corp-agents";

    private readonly RsaSecurityKey _key;

    public DevKubernetesIssuer(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, "dev-kubernetes-issuer-key.pem");
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            rsa.KeySize = 2048;
            File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
        }

        _key = new RsaSecurityKey(rsa);
        _key.KeyId = Base64UrlEncoder.Encode(_key.ComputeJwkThumbprint());
    }

    /// <summary>The trust the sample registers: pinned public key, this server's audience, Kubernetes claim shape.</summary>
    public WorkloadIssuer Trust()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.Rsa.ExportParameters(false)) { KeyId = _key.KeyId });
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        jwk.Use = "sig";
        var jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = jwk.Use, alg = jwk.Alg, n = jwk.N, e = jwk.E } } });
        return new WorkloadIssuer
        {
            Name = Name,
            Platform = WorkloadPlatform.Kubernetes,
            Issuer = IssuerUri,
            PinnedJwks = jwks,
            Audiences = [Audience],
            MaxTokenLifetime = TimeSpan.FromHours(2),
        };
    }

    /// <summary>A projected service account token for <paramref name="serviceAccount"/> in <paramref name="namespace"/>, valid one hour.</summary>
    public string Mint(string @namespace, string serviceAccount, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new JsonWebTokenHandler().CreateToken(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = IssuerUri,
            ["sub"] = $"system:serviceaccount:{@namespace}:{serviceAccount}",
            ["aud"] = new[] { Audience },
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddHours(1).ToUnixTimeSeconds(),
            ["kubernetes.io"] = new Dictionary<string, object>
            {
                ["namespace"] = @namespace,
                ["serviceaccount"] = new { name = serviceAccount, uid = DeterministicUid(@namespace + "/" + serviceAccount) },
                ["pod"] = new { name = serviceAccount + "-7d9f8", uid = Guid.NewGuid().ToString() },
            },
        }), new SigningCredentials(_key, SecurityAlgorithms.RsaSha256));
    }

    /// <summary>The uid this stand-in gives a service account (a real cluster assigns one when it is created).</summary>
    public static string ServiceAccountUid(string @namespace, string serviceAccount) => DeterministicUid(@namespace + "/" + serviceAccount);

    private static string DeterministicUid(string value) => new Guid(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)).AsSpan(0, 16)).ToString();
}
