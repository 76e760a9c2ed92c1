using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.BlackBoxTests.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// DPoP (RFC 9449) from outside: forged, malformed, replayed and mismatched proofs at the sample host's token endpoint,
/// and bound tokens misused at the sample API, both running as their own processes in Production. Every answer is the
/// standard error (<c>invalid_dpop_proof</c> at the token endpoint, a 401 challenge at the API) and leaks nothing.
/// </summary>
public sealed class DpopAttacks : AttackFixture
{
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly ECDsa Thief = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private SampleHostProcess _api = null!;
    private string _spentProof = string.Empty;
    private string _boundToken = string.Empty;

    private Uri TokenUri => new(Host.BaseAddress, Tenant.TokenPath.TrimStart('/'));

    private Uri ApiArticles => new(_api.BaseAddress, "articles");

    protected override async Task PrepareAsync()
    {
        _api = await SampleHostProcess.StartProgramAsync("LumoAuth.Agents.SampleApi", SampleHostProcess.FreePort(), "--host", Host.BaseAddress.AbsoluteUri);
        _spentProof = Proof(Key, "POST", TokenUri);
        var answer = await SendAsync(WithHeader(Credentials(), "DPoP", _spentProof), "a bound token for the API cases");
        _boundToken = answer.Json?["access_token"]?.GetValue<string>() ?? throw new AssertionException($"no bound token: {answer.Summary}");
        Assert.That(answer.Json?["token_type"]?.GetValue<string>(), Is.EqualTo("DPoP"), answer.Summary);
    }

    [OneTimeTearDown]
    public async Task StopApiAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        Key.Dispose();
        Thief.Dispose();
    }

    private static DpopAttacks Of(AttackFixture f) => (DpopAttacks)f;

    private static HttpRequestMessage Credentials() =>
        Form(Tenant.TokenPath, ("grant_type", "client_credentials"), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret), ("scope", "read:articles"));

    private static JsonObject Header(ECDsa key, string typ = "dpop+jwt") => new() { ["typ"] = typ, ["jwk"] = Forgery.PublicJwk(key) };

    private static JsonObject Claims(string method, Uri uri, DateTimeOffset? iat = null, string? token = null)
    {
        var claims = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = uri.GetLeftPart(UriPartial.Path),
            ["iat"] = (iat ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(),
        };
        if (token is not null)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
        }

        return claims;
    }

    private static string Proof(ECDsa key, string method, Uri uri, string? token = null) => Forgery.Es256(key, Header(key), Claims(method, uri, token: token));

    private static HostileCase AtTokenEndpoint(string name, Func<DpopAttacks, string[]> proofs) =>
        new($"token endpoint: {name}", f =>
        {
            var request = Credentials();
            foreach (var proof in proofs(Of(f)))
            {
                request.Headers.TryAddWithoutValidation("DPoP", proof);
            }

            return request;
        }, Shape.OAuthError, [400], ["invalid_dpop_proof"]);

    private static HostileCase AtApi(string name, Func<DpopAttacks, (string Authorization, string? Proof)> build) =>
        new($"API: {name}", f =>
        {
            var (authorization, proof) = build(Of(f));
            var request = With(new HttpRequestMessage(HttpMethod.Get, Of(f).ApiArticles), authorization);
            if (proof is not null)
            {
                request.Headers.TryAddWithoutValidation("DPoP", proof);
            }

            return request;
        }, Shape.OAuthError, [400, 401], ["invalid_token", "invalid_dpop_proof", "invalid_request"],
        Also: a => Assert.That(a.Header("WWW-Authenticate"), Does.StartWith("Bearer").Or.StartWith("DPoP"), $"RFC 9449 §7.1: {a.Summary}"));

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return AtTokenEndpoint("a proof that is not a JWT", _ => ["not-a-jwt"]).ToTestCase();
        yield return AtTokenEndpoint("two DPoP headers", f => [Proof(Key, "POST", f.TokenUri), Proof(Key, "POST", f.TokenUri)]).ToTestCase();
        yield return AtTokenEndpoint("two proofs in one header", f => [Proof(Key, "POST", f.TokenUri) + "," + Proof(Key, "POST", f.TokenUri)]).ToTestCase();
        yield return AtTokenEndpoint("a proof of 20,000 characters", _ => ["a." + Filler(20_000) + ".b"]).ToTestCase();
        yield return AtTokenEndpoint("typ JWT", f => [Forgery.Es256(Key, Header(Key, "JWT"), Claims("POST", f.TokenUri))]).ToTestCase();
        yield return AtTokenEndpoint("alg none", f => [Forgery.WithoutSignature(Proof(Key, "POST", f.TokenUri), "none")]).ToTestCase();
        yield return AtTokenEndpoint("HS256 with the jwk as the secret", f => [Forgery.Hs256(Proof(Key, "POST", f.TokenUri), new byte[32], null)]).ToTestCase();
        yield return AtTokenEndpoint("a private key in jwk", f =>
        {
            var header = Header(Key);
            header["jwk"]!["d"] = Base64UrlEncoder.Encode(Key.ExportParameters(true).D);
            return [Forgery.Es256(Key, header, Claims("POST", f.TokenUri))];
        }).ToTestCase();
        yield return AtTokenEndpoint("no jwk", f => [Forgery.Es256(Key, new JsonObject { ["typ"] = "dpop+jwt" }, Claims("POST", f.TokenUri))]).ToTestCase();
        yield return AtTokenEndpoint("signed by another key than its jwk", f => [Forgery.Es256(Thief, Header(Key), Claims("POST", f.TokenUri))]).ToTestCase();
        yield return AtTokenEndpoint("htm GET", f => [Proof(Key, "GET", f.TokenUri)]).ToTestCase();
        yield return AtTokenEndpoint("htu of another endpoint", f => [Proof(Key, "POST", new Uri(f.Host.BaseAddress, "connect/introspect"))]).ToTestCase();
        yield return AtTokenEndpoint("htu with a trailing slash", f =>
        {
            var claims = Claims("POST", f.TokenUri);
            claims["htu"] = f.TokenUri.AbsoluteUri + "/";
            return [Forgery.Es256(Key, Header(Key), claims)];
        }).ToTestCase();
        yield return AtTokenEndpoint("htu with a query", f =>
        {
            var claims = Claims("POST", f.TokenUri);
            claims["htu"] = f.TokenUri.AbsoluteUri + "?x=1";
            return [Forgery.Es256(Key, Header(Key), claims)];
        }).ToTestCase();
        yield return AtTokenEndpoint("iat ten minutes old", f => [Forgery.Es256(Key, Header(Key), Claims("POST", f.TokenUri, DateTimeOffset.UtcNow.AddMinutes(-10)))]).ToTestCase();
        yield return AtTokenEndpoint("iat an hour ahead", f => [Forgery.Es256(Key, Header(Key), Claims("POST", f.TokenUri, DateTimeOffset.UtcNow.AddHours(1)))]).ToTestCase();
        yield return AtTokenEndpoint("a replayed proof", f => [f._spentProof]).ToTestCase();
        yield return AtTokenEndpoint("markup in jti", f =>
        {
            var claims = Claims("POST", f.TokenUri);
            claims["iat"] = 1;
            claims["jti"] = HostileAnswers.Markup;
            return [Forgery.Es256(Key, Header(Key), claims)];
        }).ToTestCase();

        yield return AtApi("a bound token sent as a bearer token", f => ("Bearer " + f._boundToken, null)).ToTestCase();
        yield return AtApi("a bound token without a proof", f => ("DPoP " + f._boundToken, null)).ToTestCase();
        yield return AtApi("a bound token with the thief's proof", f => ("DPoP " + f._boundToken, Proof(Thief, "GET", f.ApiArticles, f._boundToken))).ToTestCase();
        yield return AtApi("a proof for another token", f => ("DPoP " + f._boundToken, Proof(Key, "GET", f.ApiArticles, f._boundToken + "x"))).ToTestCase();
        yield return AtApi("a proof for another path", f => ("DPoP " + f._boundToken, Proof(Key, "GET", new Uri(f._api.BaseAddress, "search"), f._boundToken))).ToTestCase();
        yield return AtApi("a tampered bound token", f => ("DPoP " + Forgery.Tamper(f._boundToken, p => p["cnf"] = new JsonObject { ["jkt"] = "thief" }), Proof(Thief, "GET", f.ApiArticles, f._boundToken))).ToTestCase();
        yield return AtApi("a token-endpoint proof reused at the API", f => ("DPoP " + f._boundToken, f._spentProof)).ToTestCase();
        yield return AtApi("DPoP with no token", _ => ("DPoP ", null)).ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test]
    public async Task The_bound_token_works_at_the_api_with_a_proof_by_its_key()
    {
        var request = With(new HttpRequestMessage(HttpMethod.Get, ApiArticles), "DPoP " + _boundToken);
        request.Headers.TryAddWithoutValidation("DPoP", Proof(Key, "GET", ApiArticles, _boundToken));
        var answer = await SendAsync(request, "the bound token with its key");
        Assert.That(answer.Status, Is.EqualTo(200), answer.Summary);
    }
}
