using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Workload;

/// <summary>
/// A real OpenID Connect issuer on loopback, standing in for the platforms (Kubernetes, AWS, GCP, Azure, GitHub,
/// SPIFFE): each named issuer serves discovery and a JWKS under <c>/{name}/</c>, with keys it can rotate, a switch
/// to go down, and a count of key fetches. It mints tokens shaped like each platform's.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Platform> _platforms = new(StringComparer.Ordinal);

    private TestIssuer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<TestIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var issuer = new TestIssuer(app);
        app.MapGet("/{name}/.well-known/openid-configuration", (string name) => issuer.Discovery(name));
        app.MapGet("/{name}/jwks", (string name) => issuer.Jwks(name));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        issuer.BaseAddress = new Uri(address + "/");
        return issuer;
    }

    public string IssuerOf(string name) => new Uri(BaseAddress, name).AbsoluteUri;

    public Uri JwksOf(string name) => new(BaseAddress, name + "/jwks");

    /// <summary>Adds an issuer with one RSA and one EC key (or the RSA key alone).</summary>
    public void Add(string name, bool singleKey = false)
    {
        var platform = new Platform();
        if (singleKey)
        {
            platform.Keys.Remove(platform.Ec);
        }

        _platforms[name] = platform;
    }

    public int Fetches(string name) => _platforms[name].Fetches;

    public void SetDown(string name, bool down) => _platforms[name].Down = down;

    /// <summary>Makes the JWKS endpoint misbehave: "redirect" answers 302 to another issuer's keys, "huge" sends 100 KB, "many" 40 keys.</summary>
    public void SetMisbehaviour(string name, string? misbehaviour) => _platforms[name].Misbehaviour = misbehaviour;

    /// <summary>Publishes a new RSA key and signs with it from now on; the old key stays published.</summary>
    public string Rotate(string name)
    {
        var platform = _platforms[name];
        var key = NewRsa();
        platform.Keys.Add(key);
        platform.CurrentRsa = key;
        return key.KeyId;
    }

    /// <summary>The public JWKS of <paramref name="name"/>, for pinning.</summary>
    public string JwksJson(string name) => JsonSerializer.Serialize(new { keys = _platforms[name].Keys.Select(PublicJwk) });

    public RsaSecurityKey RsaKey(string name) => _platforms[name].CurrentRsa;

    public ECDsaSecurityKey EcKey(string name) => _platforms[name].Ec;

    /// <summary>Mints a token: iss, iat, exp and (unless given) nbf are filled in from <paramref name="now"/>.</summary>
    public string Mint(string name, IDictionary<string, object> claims, DateTimeOffset now, SecurityKey? key = null, string? algorithm = null,
        IDictionary<string, object>? header = null, TimeSpan? lifetime = null)
    {
        var platform = _platforms[name];
        var payload = new Dictionary<string, object>(claims)
        {
            ["iss"] = claims.TryGetValue("iss", out var iss) ? iss : IssuerOf(name),
            ["iat"] = claims.TryGetValue("iat", out var iat) ? iat : now.ToUnixTimeSeconds(),
            ["exp"] = claims.TryGetValue("exp", out var exp) ? exp : now.Add(lifetime ?? TimeSpan.FromMinutes(30)).ToUnixTimeSeconds(),
        };
        key ??= platform.CurrentRsa;
        algorithm ??= key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha256 : SecurityAlgorithms.RsaSha256;
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = payload,
            SigningCredentials = new SigningCredentials(key, algorithm),
            AdditionalHeaderClaims = header is null ? null : new Dictionary<string, object>(header),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// Adds to a host's <paramref name="settings"/> the trust in <paramref name="name"/> as a Kubernetes cluster with pinned
    /// keys, at the place <paramref name="index"/> of <c>LumoAgents:Workload:Issuers</c>; tokens for <paramref name="audience"/>.
    /// </summary>
    public void TrustAsKubernetes(IDictionary<string, string?> settings, string name, string audience, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var trust = $"LumoAgents:Workload:Issuers:{index}:";
        settings[trust + "Name"] = name;
        settings[trust + "Platform"] = "Kubernetes";
        settings[trust + "Issuer"] = IssuerOf(name);
        settings[trust + "Audiences:0"] = audience;
        settings[trust + "PinnedJwks"] = JwksJson(name);
        settings[trust + "AllowHttp"] = "true";
    }

    /// <summary>A projected service account token of cluster <paramref name="name"/>, as the kubelet writes it to the pod.</summary>
    public string MintServiceAccountToken(string name, string @namespace, string serviceAccount, string uid, string audience) => Mint(name, new Dictionary<string, object>
    {
        ["sub"] = $"system:serviceaccount:{@namespace}:{serviceAccount}",
        ["aud"] = new[] { audience },
        ["kubernetes.io"] = new Dictionary<string, object>
        {
            ["namespace"] = @namespace,
            ["serviceaccount"] = new Dictionary<string, object> { ["name"] = serviceAccount, ["uid"] = uid },
        },
    }, DateTimeOffset.UtcNow);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private IResult Discovery(string name)
    {
        if (!_platforms.TryGetValue(name, out var platform) || platform.Down)
        {
            return Results.StatusCode(503);
        }

        return Results.Json(new { issuer = IssuerOf(name), jwks_uri = JwksOf(name).AbsoluteUri });
    }

    private IResult Jwks(string name)
    {
        if (!_platforms.TryGetValue(name, out var platform) || platform.Down)
        {
            return Results.StatusCode(503);
        }

        Interlocked.Increment(ref platform.FetchCount);
        return platform.Misbehaviour switch
        {
            "redirect" => Results.Redirect(JwksOf("attacker").AbsoluteUri),
            "huge" => Results.Text(JwksJson(name)[..^1] + ",\"padding\":\"" + new string('x', 100 * 1024) + "\"}", "application/json"),
            "many" => Results.Text(JsonSerializer.Serialize(new { keys = Enumerable.Range(0, 40).Select(_ => PublicJwk(NewRsa())) }), "application/json"),
            _ => Results.Text(JwksJson(name), "application/json"),
        };
    }

    private static object PublicJwk(SecurityKey key) => key switch
    {
        RsaSecurityKey rsa => Describe(JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.Rsa.ExportParameters(false)) { KeyId = rsa.KeyId })),
        ECDsaSecurityKey ec => Describe(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ec.ECDsa.ExportParameters(false))) { KeyId = ec.KeyId })),
        _ => throw new NotSupportedException(),
    };

    private static Dictionary<string, string> Describe(JsonWebKey jwk)
    {
        var result = new Dictionary<string, string> { ["kty"] = jwk.Kty, ["kid"] = jwk.Kid, ["use"] = "sig" };
        if (jwk.Kty == "RSA")
        {
            result["n"] = jwk.N;
            result["e"] = jwk.E;
        }
        else
        {
            result["crv"] = jwk.Crv;
            result["x"] = jwk.X;
            result["y"] = jwk.Y;
        }

        return result;
    }

    private static RsaSecurityKey NewRsa() => new(RSA.Create(2048)) { KeyId = "rsa-" + Guid.NewGuid().ToString("N")[..8] };

    private sealed class Platform
    {
        public int FetchCount;

        public Platform()
        {
            CurrentRsa = NewRsa();
            Ec = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-" + Guid.NewGuid().ToString("N")[..8] };
            Keys = [CurrentRsa, Ec];
        }

        public List<SecurityKey> Keys { get; }

        public RsaSecurityKey CurrentRsa { get; set; }

        public ECDsaSecurityKey Ec { get; }

        public bool Down { get; set; }

        public string? Misbehaviour { get; set; }

        public int Fetches => Volatile.Read(ref FetchCount);
    }
}
