using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.BlackBoxTests.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// Forged and spliced tokens (RFC 8725 §3): each is presented at introspection, as the admin API's and the audit
/// API's bearer token, and as a token-exchange subject. None is ever taken for a real token, and no key URL in a
/// header is ever fetched.
/// </summary>
public sealed class ForgedTokenAttacks : AttackFixture
{
    private static readonly string[] Forgeries =
    [
        "alg none",
        "alg None",
        "alg NONE keeping the original signature",
        "HS256 keyed with the server's EC public JWK",
        "HS256 keyed with the server's EC public key PEM",
        "HS256 keyed with the server's RSA public key PEM",
        "HS256 keyed with the server's RSA public key PKCS#1 PEM",
        "signature of another agent's token",
        "scope raised to agents:admin under the original signature",
        "attacker key embedded as a jwk header",
        "attacker key announced by jku",
        "attacker key announced by x5u",
        "attacker key under the server's kid",
        "ES256 signature of zeros",
        "expired, signed with the server's key",
        "wrong issuer, signed with the server's key",
        "not valid before next year, signed with the server's key",
        "five segments, shaped as a JWE",
        "JSON serialization instead of compact",
        "truncated signature",
    ];

    private readonly Dictionary<string, string> _forged = new(StringComparer.Ordinal);
    private readonly TcpListener _canary = new(IPAddress.Loopback, 0);
    private int _canaryHits;

    protected override async Task PrepareAsync()
    {
        _canary.Start();
        _ = CountCanaryHitsAsync(_canary);
        var canary = $"http://127.0.0.1:{((IPEndPoint)_canary.LocalEndpoint).Port}/keys.json";

        var real = ResearchBotToken;
        var header = Forgery.Header(real);
        var kid = header["kid"]?.GetValue<string>();
        var (ecJwk, ecPem, rsaPem, rsaPkcs1, rsaKid) = await ServerPublicKeysAsync();
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var server = ECDsa.Create();
        server.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(Host.DataDirectory, "signing-key-p256.pem")));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject Head(params (string, JsonNode?)[] extra)
        {
            var h = new JsonObject { ["typ"] = header["typ"]?.GetValue<string>() ?? "at+jwt" };
            foreach (var (name, value) in extra)
            {
                h[name] = value;
            }

            return h;
        }

        JsonObject Claims(Action<JsonObject>? change = null)
        {
            var payload = Forgery.Payload(real);
            change?.Invoke(payload);
            return payload;
        }

        _forged["alg none"] = Forgery.WithoutSignature(real, "none");
        _forged["alg None"] = Forgery.WithoutSignature(real, "None");
        _forged["alg NONE keeping the original signature"] = Forgery.WithoutSignature(real, "NONE", keepSignature: true);
        _forged["HS256 keyed with the server's EC public JWK"] = Forgery.Hs256(real, Encoding.UTF8.GetBytes(ecJwk), kid);
        _forged["HS256 keyed with the server's EC public key PEM"] = Forgery.Hs256(real, Encoding.UTF8.GetBytes(ecPem), kid);
        _forged["HS256 keyed with the server's RSA public key PEM"] = Forgery.Hs256(real, Encoding.UTF8.GetBytes(rsaPem), rsaKid);
        _forged["HS256 keyed with the server's RSA public key PKCS#1 PEM"] = Forgery.Hs256(real, Encoding.UTF8.GetBytes(rsaPkcs1), rsaKid);
        _forged["signature of another agent's token"] = Forgery.Splice(real, SearchToolToken);
        _forged["scope raised to agents:admin under the original signature"] = Forgery.Tamper(real, p => p["scope"] = "agents:admin read:articles");
        _forged["attacker key embedded as a jwk header"] = Forgery.Es256(attacker, Head(("jwk", Forgery.PublicJwk(attacker))), Claims());
        _forged["attacker key announced by jku"] = Forgery.Es256(attacker, Head(("jku", canary), ("kid", "attacker")), Claims());
        _forged["attacker key announced by x5u"] = Forgery.Es256(attacker, Head(("x5u", canary), ("kid", "attacker")), Claims());
        _forged["attacker key under the server's kid"] = Forgery.Es256(attacker, Head(("kid", kid)), Claims());
        _forged["ES256 signature of zeros"] = Forgery.ZeroSignature(real);
        _forged["expired, signed with the server's key"] = Forgery.Es256(server, Head(("kid", kid)), Claims(p =>
        {
            p["exp"] = now - 3600;
            p["iat"] = now - 7200;
            p["nbf"] = now - 7200;
        }));
        _forged["wrong issuer, signed with the server's key"] = Forgery.Es256(server, Head(("kid", kid)), Claims(p => p["iss"] = "https://evil.example/"));
        _forged["not valid before next year, signed with the server's key"] = Forgery.Es256(server, Head(("kid", kid)), Claims(p =>
        {
            p["nbf"] = now + 365 * 86400;
            p["iat"] = now + 365 * 86400;
            p["exp"] = now + 366 * 86400;
        }));
        _forged["five segments, shaped as a JWE"] = $"{Base64UrlEncoder.Encode("{\"alg\":\"dir\",\"enc\":\"A256GCM\"}")}..{Base64UrlEncoder.Encode("iv-iv-iv-iv")}.{real.Split('.')[1]}.{Base64UrlEncoder.Encode("tag")}";
        var parts = real.Split('.');
        _forged["JSON serialization instead of compact"] = $$"""{"payload":"{{parts[1]}}","protected":"{{parts[0]}}","signature":"{{parts[2]}}"}""";
        _forged["truncated signature"] = real[..^10];
        Assert.That(_forged.Keys, Is.EquivalentTo(Forgeries), "every forgery is built");
    }

    private async Task CountCanaryHitsAsync(TcpListener listener)
    {
        while (true)
        {
            try
            {
                using var connection = await listener.AcceptTcpClientAsync();
                Interlocked.Increment(ref _canaryHits);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped at teardown
            }
        }
    }

    private async Task<(string EcJwk, string EcPem, string RsaPem, string RsaPkcs1, string? RsaKid)> ServerPublicKeysAsync()
    {
        var discovery = await SendAsync(Get("/.well-known/openid-configuration"), "discovery");
        var jwksUri = new Uri(discovery.Json!["jwks_uri"]!.GetValue<string>());
        var jwks = await SendAsync(Get(jwksUri.PathAndQuery), "jwks");
        var keys = jwks.Json!["keys"]!.AsArray().Select(k => k!.AsObject()).ToList();
        var ec = keys.First(k => k["kty"]?.GetValue<string>() == "EC");
        var rsa = keys.First(k => k["kty"]?.GetValue<string>() == "RSA");
        using var ecKey = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(ec["x"]!.GetValue<string>()), Y = Base64UrlEncoder.DecodeBytes(ec["y"]!.GetValue<string>()) },
        });
        using var rsaKey = RSA.Create(new RSAParameters
        {
            Modulus = Base64UrlEncoder.DecodeBytes(rsa["n"]!.GetValue<string>()),
            Exponent = Base64UrlEncoder.DecodeBytes(rsa["e"]!.GetValue<string>()),
        });
        return (ec.ToJsonString(), ecKey.ExportSubjectPublicKeyInfoPem(), rsaKey.ExportSubjectPublicKeyInfoPem(), rsaKey.ExportRSAPublicKeyPem(), rsa["kid"]?.GetValue<string>());
    }

    private string Forged(string name) => _forged[name];

    private static void InvalidTokenChallenge(Answer answer) =>
        Assert.That(answer.Header("WWW-Authenticate"), Does.StartWith("Bearer").And.Contain("error=\"invalid_token\""),
            $"RFC 6750 §3: a bad bearer token is answered with a Bearer challenge naming invalid_token: {answer.Summary}");

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var name in Forgeries)
        {
            yield return new HostileCase($"introspection of a token with {name}",
                f => Basic(Form(Tenant.IntrospectionPath, ("token", ((ForgedTokenAttacks)f).Forged(name))), Tenant.Api, Tenant.ApiSecret),
                Shape.Inactive, [200]).ToTestCase();
            yield return new HostileCase($"admin API with a bearer token with {name}",
                f => With(Get(Tenant.AgentsPath), "Bearer " + ((ForgedTokenAttacks)f).Forged(name)),
                Shape.Problem, [401], Also: InvalidTokenChallenge).ToTestCase();
            yield return new HostileCase($"audit API with a bearer token with {name}",
                f => With(Get(Tenant.AuditPath), "Bearer " + ((ForgedTokenAttacks)f).Forged(name)),
                Shape.Problem, [401], Also: InvalidTokenChallenge).ToTestCase();
            yield return new HostileCase($"token exchange of a subject token with {name}",
                f => Form(Tenant.SeedTokenPath, ("grant_type", Tenant.TokenExchange), ("subject_token", ((ForgedTokenAttacks)f).Forged(name)),
                    ("subject_token_type", Tenant.AccessTokenType), ("actor_token", f.ResearchBotToken), ("actor_token_type", Tenant.AccessTokenType)),
                Shape.OAuthError, [400], ["invalid_grant", "invalid_request"]).ToTestCase();
        }
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test, DependsOnTest(nameof(Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak), AllowFailure = true)]
    public void No_key_url_in_a_forged_header_was_ever_fetched() =>
        Assert.That(Volatile.Read(ref _canaryHits), Is.Zero, "the server connected to the jku/x5u URL of a forged token");

    [OneTimeTearDown]
    public void StopCanary() => _canary.Dispose();
}
