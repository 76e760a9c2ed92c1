using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Client.Dpop;
using LumoAuth.Agents.Dpop;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Verification;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.Dpop;

/// <summary>Every RFC 9449 §4.3 check of a DPoP proof on its own, each with the proof that passes it and one that fails it.</summary>
public sealed class DpopProofValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
    private static readonly Uri Api = new("https://api.example/articles");
    private const string AccessToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudDpyZXNlYXJjaC1ib3QifQ.c2ln";

    private FakeTimeProvider _time = null!;
    private InMemorySignatureNonceStore _replay = null!;
    private DpopProofValidator _validator = null!;
    private DpopKey _key = null!;

    [SetUp]
    public void Create()
    {
        _time = new FakeTimeProvider(Now);
        _replay = new InMemorySignatureNonceStore(_time);
        _validator = new DpopProofValidator(_replay, _time);
        _key = DpopKey.Generate();
    }

    [TearDown]
    public void Dispose() => _key.Dispose();

    private Task<DpopProofOutcome> CheckAsync(string proof, string method = "GET", Uri? uri = null, string? token = null, string? thumbprint = null, Func<string?, bool>? nonce = null) =>
        CheckAsync([proof], method, uri, token, thumbprint, nonce);

    private async Task<DpopProofOutcome> CheckAsync(string[] proofs, string method = "GET", Uri? uri = null, string? token = null, string? thumbprint = null, Func<string?, bool>? nonce = null) =>
        await _validator.ValidateAsync(new DpopProofRequest
        {
            Proofs = proofs, Method = method, Uri = uri ?? Api, AccessToken = token, ExpectedThumbprint = thumbprint, NonceIsValid = nonce,
        }, new DpopOptions(), default);

    private static void Refused(DpopProofOutcome outcome, string because)
    {
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Proof, Is.Null, "refused");
            Assert.That(outcome.Error, Is.EqualTo(DpopProofOutcome.InvalidProof));
            Assert.That(outcome.Description, Does.Contain(because));
        });
    }

    /// <summary>A proof signed by <paramref name="key"/> with the header and payload given (for the malformed ones).</summary>
    private static string Sign(ECDsa key, JsonObject header, JsonObject payload)
    {
        var input = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        return input + "." + Base64Url.Encode(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
    }

    private static (ECDsa Key, JsonObject Jwk) EcKey(bool withPrivate = false)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = key.ExportParameters(withPrivate);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(p.Q.X), ["y"] = Base64Url.Encode(p.Q.Y) };
        if (withPrivate)
        {
            jwk["d"] = Base64Url.Encode(p.D);
        }

        return (key, jwk);
    }

    private static JsonObject Payload(string htm = "GET", string htu = "https://api.example/articles", long? iat = null) =>
        new() { ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = htm, ["htu"] = htu, ["iat"] = iat ?? Now.ToUnixTimeSeconds() };

    [Test]
    public async Task A_well_formed_proof_is_accepted_and_names_its_key()
    {
        var outcome = await CheckAsync(_key.CreateProof("GET", Api, Now, AccessToken), token: AccessToken, thumbprint: _key.Thumbprint);
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Error, Is.Null, outcome.Description);
            Assert.That(outcome.Proof!.Thumbprint, Is.EqualTo(_key.Thumbprint));
        });
    }

    [Test]
    public async Task No_proof_is_refused() => Refused(await CheckAsync(Array.Empty<string>()), "no DPoP proof");

    [Test]
    public async Task Two_proof_headers_are_refused() =>
        Refused(await CheckAsync([_key.CreateProof("GET", Api, Now), _key.CreateProof("GET", Api, Now)]), "more than one DPoP proof");

    [Test]
    public async Task Two_proofs_in_one_header_are_refused() =>
        Refused(await CheckAsync(_key.CreateProof("GET", Api, Now) + "," + _key.CreateProof("GET", Api, Now)), "more than one DPoP proof");

    [Test]
    public async Task A_proof_that_is_not_a_jwt_is_refused() => Refused(await CheckAsync("not-a-jwt"), "not a signed JWT");

    [Test]
    public async Task An_oversized_proof_is_refused() => Refused(await CheckAsync("a." + new string('b', 10_000) + ".c"), "not a signed JWT");

    [TestCase("JWT")]
    [TestCase("at+jwt")]
    [TestCase("DPOP+JWT")]
    public async Task A_proof_of_another_typ_is_refused(string typ)
    {
        var (key, jwk) = EcKey();
        using (key)
        {
            Refused(await CheckAsync(Sign(key, new JsonObject { ["typ"] = typ, ["alg"] = "ES256", ["jwk"] = jwk }, Payload())), "typ must be 'dpop+jwt'");
        }
    }

    [Test]
    public async Task An_unsigned_proof_is_refused()
    {
        var (key, jwk) = EcKey();
        using (key)
        {
            var signed = Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "none", ["jwk"] = jwk }, Payload());
            Refused(await CheckAsync(signed[..(signed.LastIndexOf('.') + 1)]), "algorithm 'none' is not accepted");
        }
    }

    [Test]
    public async Task A_proof_with_a_mac_is_refused()
    {
        var header = new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "HS256", ["jwk"] = new JsonObject { ["kty"] = "oct", ["k"] = Base64Url.Encode(new byte[32]) } };
        var input = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(Payload().ToJsonString()));
        var proof = input + "." + Base64Url.Encode(HMACSHA256.HashData(new byte[32], Encoding.ASCII.GetBytes(input)));
        Refused(await CheckAsync(proof), "algorithm 'HS256' is not accepted");
    }

    [Test]
    public async Task A_proof_whose_jwk_holds_the_private_key_is_refused()
    {
        var (key, jwk) = EcKey(withPrivate: true);
        using (key)
        {
            Refused(await CheckAsync(Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = jwk }, Payload())), "no private member");
        }
    }

    [Test]
    public async Task A_proof_without_a_jwk_is_refused()
    {
        var (key, _) = EcKey();
        using (key)
        {
            Refused(await CheckAsync(Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256" }, Payload())), "no public key");
        }
    }

    [Test]
    public async Task A_proof_signed_by_another_key_than_its_jwk_is_refused()
    {
        var (key, _) = EcKey();
        var (_, otherJwk) = EcKey();
        using (key)
        {
            Refused(await CheckAsync(Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = otherJwk }, Payload())), "signature does not verify");
        }
    }

    [Test]
    public async Task A_proof_for_another_method_is_refused() => Refused(await CheckAsync(_key.CreateProof("POST", Api, Now)), "htm is not this request's method");

    [TestCase("https://api.example/other", TestName = "A proof for another path is refused")]
    [TestCase("https://api.example/articles/", TestName = "A proof whose htu has a trailing slash is refused")]
    [TestCase("https://evil.example/articles", TestName = "A proof for another host is refused")]
    [TestCase("http://api.example/articles", TestName = "A proof for another scheme is refused")]
    [TestCase("https://api.example:8443/articles", TestName = "A proof for another port is refused")]
    [TestCase("https://api.example/articles?x=1", TestName = "A proof whose htu carries a query is refused")]
    [TestCase("https://api.example/articles#x", TestName = "A proof whose htu carries a fragment is refused")]
    [TestCase("/articles", TestName = "A proof whose htu is relative is refused")]
    public async Task A_proof_for_another_uri_is_refused(string htu)
    {
        var (key, jwk) = EcKey();
        using (key)
        {
            Refused(await CheckAsync(Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = jwk }, Payload(htu: htu))), "htu is not this request's URI");
        }
    }

    [TestCase("HTTPS://API.EXAMPLE/articles", TestName = "Scheme and host compare case-insensitively")]
    [TestCase("https://api.example:443/articles", TestName = "The default port compares equal to none")]
    public async Task An_equivalent_uri_is_accepted(string htu)
    {
        var (key, jwk) = EcKey();
        using (key)
        {
            var outcome = await CheckAsync(Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = jwk }, Payload(htu: htu)));
            Assert.That(outcome.Error, Is.Null, outcome.Description);
        }
    }

    [Test]
    public async Task The_request_query_is_ignored() =>
        Assert.That((await CheckAsync(_key.CreateProof("GET", Api, Now), uri: new Uri(Api, "?q=x"))).Error, Is.Null);

    [Test]
    public async Task A_proof_issued_too_long_ago_is_refused() => Refused(await CheckAsync(_key.CreateProof("GET", Api, Now - TimeSpan.FromMinutes(6))), "iat is outside");

    [Test]
    public async Task A_proof_issued_in_the_future_is_refused() => Refused(await CheckAsync(_key.CreateProof("GET", Api, Now + TimeSpan.FromMinutes(2))), "iat is outside");

    [Test]
    public async Task A_proof_without_a_jti_is_refused()
    {
        var (key, jwk) = EcKey();
        using (key)
        {
            var payload = Payload();
            payload.Remove("jti");
            Refused(await CheckAsync(Sign(key, new JsonObject { ["typ"] = "dpop+jwt", ["alg"] = "ES256", ["jwk"] = jwk }, payload)), "needs a jti");
        }
    }

    [Test]
    public async Task A_replayed_proof_is_refused_and_a_refused_one_does_not_spend_its_jti()
    {
        var proof = _key.CreateProof("GET", Api, Now);
        Refused(await CheckAsync(proof, method: "POST"), "htm");
        Assert.That((await CheckAsync(proof)).Error, Is.Null, "the refusal above did not spend the jti");
        Refused(await CheckAsync(proof), "was used before");
    }

    [Test]
    public async Task A_proof_without_the_tokens_hash_is_refused_at_a_resource() =>
        Refused(await CheckAsync(_key.CreateProof("GET", Api, Now), token: AccessToken), "ath is not the hash");

    [Test]
    public async Task A_proof_for_another_token_is_refused() =>
        Refused(await CheckAsync(_key.CreateProof("GET", Api, Now, AccessToken + "x"), token: AccessToken), "ath is not the hash");

    [Test]
    public async Task A_proof_by_another_key_than_the_token_is_bound_to_is_refused()
    {
        using var other = DpopKey.Generate();
        Refused(await CheckAsync(other.CreateProof("GET", Api, Now, AccessToken), token: AccessToken, thumbprint: _key.Thumbprint), "another key than the one the token is bound to");
    }

    [Test]
    public async Task A_missing_or_stale_nonce_asks_for_a_fresh_one()
    {
        static bool Current(string? nonce) => nonce == "n-2";
        var missing = await CheckAsync(_key.CreateProof("GET", Api, Now), nonce: Current);
        var stale = await CheckAsync(_key.CreateProof("GET", Api, Now, nonce: "n-1"), nonce: Current);
        var fresh = await CheckAsync(_key.CreateProof("GET", Api, Now, nonce: "n-2"), nonce: Current);
        Assert.Multiple(() =>
        {
            Assert.That(missing.Error, Is.EqualTo(DpopProofOutcome.UseNonce));
            Assert.That(stale.Error, Is.EqualTo(DpopProofOutcome.UseNonce));
            Assert.That(fresh.Error, Is.Null, fresh.Description);
        });
    }

    [Test]
    public async Task A_replay_is_refused_on_another_validator_sharing_the_store()
    {
        var proof = _key.CreateProof("GET", Api, Now);
        var second = new DpopProofValidator(_replay, _time);
        Assert.That((await CheckAsync(proof)).Error, Is.Null);
        var again = await second.ValidateAsync(new DpopProofRequest { Proofs = [proof], Method = "GET", Uri = Api }, new DpopOptions(), default);
        Refused(again, "was used before");
    }

    [Test]
    public async Task A_key_loaded_from_pem_or_jwk_makes_proofs_with_the_same_thumbprint()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var p = ec.ExportParameters(true);
        using var fromPem = DpopKey.FromPem(ec.ExportECPrivateKeyPem());
        using var fromJwk = DpopKey.FromJwk(new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(p.Q.X), ["y"] = Base64Url.Encode(p.Q.Y), ["d"] = Base64Url.Encode(p.D),
        });
        var outcome = await CheckAsync(fromJwk.CreateProof("GET", Api, Now), thumbprint: fromPem.Thumbprint);
        Assert.Multiple(() =>
        {
            Assert.That(fromJwk.Thumbprint, Is.EqualTo(fromPem.Thumbprint));
            Assert.That(outcome.Error, Is.Null, outcome.Description);
            Assert.Throws<ArgumentException>(() => DpopKey.FromJwk(new JsonObject { ["kty"] = "EC", ["crv"] = "P-384", ["x"] = "a", ["y"] = "b", ["d"] = "c" }));
            Assert.Throws<ArgumentException>(() => DpopKey.FromJwk(new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(p.Q.X), ["y"] = Base64Url.Encode(p.Q.Y) }), "no private key");
        });
    }
}
