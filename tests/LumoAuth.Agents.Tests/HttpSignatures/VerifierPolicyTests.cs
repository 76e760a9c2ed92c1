using System.Text;
using System.Text.Json;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.HttpSignatures.Verification;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.HttpSignatures;

public class VerifierPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private FakeTimeProvider _time = null!;

    [SetUp]
    public void ResetClock() => _time = new FakeTimeProvider(Now);

    private static HttpMessage Request(params KeyValuePair<string, string>[] headers) =>
        HttpMessage.ForRequest("POST", new Uri("https://api.example/items?id=7"), [new("Content-Type", "application/json"), .. headers]);

    private static HttpMessage Signed(HttpMessage message, HttpSignatureKey key, string[] components, SignatureParameters parameters)
    {
        var signature = HttpMessageSigner.Sign(message, "sig", components, parameters, key);
        return message with { Headers = [.. message.Headers, new("Signature-Input", signature.SignatureInput), new("Signature", signature.Signature)] };
    }

    private Task<SignatureVerificationResult> VerifyAsync(HttpMessage message, HttpSignatureKey key, SignatureVerificationPolicy? policy = null, byte[]? body = null, ISignatureNonceStore? nonces = null) =>
        new HttpMessageVerifier(_time, nonces).VerifyAsync(message, body ?? [], policy ?? new SignatureVerificationPolicy { RequireContentDigestWithBody = false },
            (_, _) => ValueTask.FromResult<HttpSignatureKey?>(key is HmacSignatureKey ? key : key.ToPublic()), CancellationToken.None).AsTask();

    [Test]
    public async Task Every_algorithm_signs_and_verifies_and_a_key_of_another_algorithm_refuses_it()
    {
        HttpSignatureKey[] keys =
        [
            Ed25519SignatureKey.Generate(), EcdsaSignatureKey.Generate(EcdsaSignatureKey.P256Sha256), EcdsaSignatureKey.Generate(EcdsaSignatureKey.P384Sha384),
            RsaSignatureKey.Generate(RsaSignatureKey.PssSha512), RsaSignatureKey.Generate(RsaSignatureKey.Pkcs1Sha256), new HmacSignatureKey(new byte[32]),
        ];
        foreach (var key in keys)
        {
            var message = Signed(Request(), key, ["@method", "@target-uri"], new SignatureParameters { Created = Now, Algorithm = key.Algorithm });
            var result = await VerifyAsync(message, key);
            Assert.That(result.Succeeded, Is.True, $"{key.Algorithm}: {result.Description}");
        }

        // An ed25519 signature checked with an ECDSA key the verifier holds: the alg parameter disagrees with the key.
        var edSigned = Signed(Request(), keys[0], ["@method"], new SignatureParameters { Created = Now, Algorithm = "ed25519" });
        Assert.That((await VerifyAsync(edSigned, keys[1])).Error, Is.EqualTo(SignatureErrors.UnsupportedAlgorithm));

        // Without alg, the verifier's key decides, and the signature simply does not verify under it.
        var bare = Signed(Request(), keys[0], ["@method"], new SignatureParameters { Created = Now });
        Assert.That((await VerifyAsync(bare, keys[1])).Error, Is.EqualTo(SignatureErrors.InvalidSignature));
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    [Test]
    public async Task A_policy_allow_list_refuses_other_algorithms()
    {
        using var key = RsaSignatureKey.Generate(RsaSignatureKey.Pkcs1Sha256);
        var message = Signed(Request(), key, ["@method"], new SignatureParameters { Created = Now });
        var result = await VerifyAsync(message, key, new SignatureVerificationPolicy { AllowedAlgorithms = ["ed25519"], RequireContentDigestWithBody = false });
        Assert.That(result.Error, Is.EqualTo(SignatureErrors.UnsupportedAlgorithm));
    }

    [Test]
    public async Task Required_and_present_fields_must_be_covered_and_the_refusal_names_them()
    {
        using var key = Ed25519SignatureKey.Generate();
        var message = Signed(Request(new KeyValuePair<string, string>("Authorization", "AAuth x")), key, ["@method"], new SignatureParameters { Created = Now });
        var result = await VerifyAsync(message, key, new SignatureVerificationPolicy { RequiredComponents = ["@method", "@target-uri"], CoveredWhenPresent = ["authorization"], RequireContentDigestWithBody = false });
        Assert.That(result.Error, Is.EqualTo(SignatureErrors.InvalidInput));
        Assert.That(result.RequiredInput, Is.EqualTo(new[] { "@target-uri", "authorization" }));
        Assert.That(result.ToSignatureErrorHeader(), Is.EqualTo("error=invalid_input, required_input=(\"@target-uri\" \"authorization\")"));
    }

    [Test]
    public async Task A_body_needs_a_covered_content_digest_that_matches_it()
    {
        using var key = Ed25519SignatureKey.Generate();
        var body = Encoding.UTF8.GetBytes("{\"a\":1}");
        var withDigest = Request(new KeyValuePair<string, string>("Content-Digest", LumoAuth.Agents.HttpSignatures.Digests.ContentDigest.Create(body)));
        var policy = new SignatureVerificationPolicy();
        var uncovered = Signed(withDigest, key, ["@method"], new SignatureParameters { Created = Now });
        Assert.That((await VerifyAsync(uncovered, key, policy, body)).RequiredInput, Is.EqualTo(new[] { "content-digest" }));

        var covered = Signed(withDigest, key, ["@method", "content-digest"], new SignatureParameters { Created = Now });
        Assert.That((await VerifyAsync(covered, key, policy, body)).Succeeded, Is.True);
        Assert.That((await VerifyAsync(covered, key, policy, Encoding.UTF8.GetBytes("{\"a\":2}"))).Error, Is.EqualTo(SignatureErrors.InvalidDigest));
    }

    [TestCase(-301, SignatureErrors.Expired)]
    [TestCase(31, SignatureErrors.ClockSkew)]
    [TestCase(-299, null)]
    [TestCase(29, null)]
    public async Task Created_must_lie_within_the_window(int offsetSeconds, string? error)
    {
        using var key = Ed25519SignatureKey.Generate();
        var message = Signed(Request(), key, ["@method"], new SignatureParameters { Created = Now.AddSeconds(offsetSeconds) });
        var result = await VerifyAsync(message, key);
        Assert.That(result.Error, Is.EqualTo(error), result.Description);
    }

    [Test]
    public async Task A_nonce_is_accepted_once_per_key_and_forged_signatures_do_not_spend_it()
    {
        using var key = Ed25519SignatureKey.Generate();
        using var other = Ed25519SignatureKey.Generate();
        var nonces = new InMemorySignatureNonceStore(_time);
        var policy = new SignatureVerificationPolicy { RequireNonce = true, RequireContentDigestWithBody = false };
        var message = Signed(Request(), key, ["@method"], new SignatureParameters { Created = Now, Nonce = "n-1" });

        // A forgery (checked with another key) fails before the nonce is spent...
        Assert.That((await VerifyAsync(message, other, policy, nonces: nonces)).Error, Is.EqualTo(SignatureErrors.InvalidSignature));

        // ...so the genuine request still passes once, then is a replay.
        Assert.That((await VerifyAsync(message, key, policy, nonces: nonces)).Succeeded, Is.True);
        Assert.That((await VerifyAsync(message, key, policy, nonces: nonces)).Error, Is.EqualTo(SignatureErrors.Replayed));

        // After the window has passed, the old signature is expired rather than replayed.
        _time.Advance(TimeSpan.FromMinutes(6));
        Assert.That((await VerifyAsync(message, key, policy, nonces: nonces)).Error, Is.EqualTo(SignatureErrors.Expired));
    }

    [Test]
    public async Task Two_signatures_need_a_chosen_label_and_a_missing_label_is_refused()
    {
        using var key = Ed25519SignatureKey.Generate();
        var first = HttpMessageSigner.Sign(Request(), "one", ["@method"], new SignatureParameters { Created = Now }, key);
        var second = HttpMessageSigner.Sign(Request(), "two", ["@target-uri"], new SignatureParameters { Created = Now }, key);
        var message = Request() with { Headers = [.. Request().Headers, new("Signature-Input", first.SignatureInput + ", " + second.SignatureInput), new("Signature", first.Signature), new("Signature", second.Signature)] };
        Assert.That((await VerifyAsync(message, key)).Description, Does.Contain("several signatures"));
        Assert.That((await VerifyAsync(message, key, new SignatureVerificationPolicy { Label = "two", RequireContentDigestWithBody = false })).Succeeded, Is.True);
        Assert.That((await VerifyAsync(message, key, new SignatureVerificationPolicy { Label = "three", RequireContentDigestWithBody = false })).Error, Is.EqualTo(SignatureErrors.InvalidInput));
    }

    [TestCase("sig=(\"@method\");created=\"soon\"", "must be a non-negative integer")]
    [TestCase("sig=(\"@method\");keyid=1", "must be a string")]
    [TestCase("sig=\"@method\"", "not an inner list")]
    [TestCase("sig=(\"@method\"), sig=(\"@path\")", "repeats a label")]
    [TestCase("sig=(@method)", "not a valid dictionary")]
    public async Task Malformed_signature_input_is_refused_with_the_reason(string input, string reason)
    {
        using var key = Ed25519SignatureKey.Generate();
        var message = Request(new("Signature-Input", input), new("Signature", "sig=:AAAA:"));
        var result = await VerifyAsync(message, key);
        Assert.That(result.Error, Is.EqualTo(SignatureErrors.InvalidInput));
        Assert.That(result.Description, Does.Contain(reason));
    }

    [Test]
    public void RFC_8037_Ed25519_thumbprint_and_JWK_round_trip()
    {
        // RFC 8037 Appendix A.2/A.3: the public key and its RFC 7638 thumbprint.
        using var document = JsonDocument.Parse("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
        Assert.That(HttpSignatureKey.TryFromPublicJwk(document.RootElement, null, out var key, out var error), Is.True, error);
        using (key)
        {
            Assert.That(key!.Thumbprint, Is.EqualTo("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"));
            Assert.That(key.Algorithm, Is.EqualTo("ed25519"));
            Assert.That(key.CanSign, Is.False);
        }
    }

    [TestCase("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}", "private")]
    [TestCase("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", "must name its algorithm")]
    [TestCase("{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AQAB\",\"y\":\"AQAB\"}", "valid public key")]
    [TestCase("{\"kty\":\"oct\",\"k\":\"AQAB\"}", "private or symmetric")]
    [TestCase("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", "not an Ed25519")]
    [TestCase("[]", "not a JSON object")]
    public void Unusable_keys_are_refused_with_the_reason(string jwk, string reason)
    {
        using var document = JsonDocument.Parse(jwk);
        Assert.That(HttpSignatureKey.TryFromPublicJwk(document.RootElement, null, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    [Test]
    public void Agent_Auth_unfolds_into_the_RFC_headers_and_conflicting_carriers_are_refused()
    {
        using var key = Ed25519SignatureKey.Generate();
        var signature = HttpMessageSigner.Sign(Request(), "sig", ["@method"], new SignatureParameters { Created = Now, Nonce = "n" }, key);
        var header = AgentAuthField.Create(signature, "a.b.c");
        Assert.That(AgentAuthField.TryUnfold([new("Agent-Auth", header)], out var unfolded, out var error), Is.True, error);
        Assert.That(unfolded.Single(h => h.Key == "Signature-Input").Value, Is.EqualTo(signature.SignatureInput));
        Assert.That(unfolded.Single(h => h.Key == "Signature").Value, Is.EqualTo(signature.Signature));
        Assert.That(unfolded.Single(h => h.Key == "Signature-Key").Value, Is.EqualTo("sig=jwt;jwt=\"a.b.c\""));

        Assert.That(AgentAuthField.TryUnfold([new("Agent-Auth", header), new("Signature", signature.Signature)], out _, out error), Is.False);
        Assert.That(error, Does.Contain("both"));
        Assert.That(AgentAuthField.TryUnfold([new("Agent-Auth", "input=(\"@method\"), signature=:AA==:, extra=1")], out _, out error), Is.False);
        Assert.That(AgentAuthField.TryUnfold([new("Agent-Auth", header), new("agent-auth", header)], out _, out error), Is.False);
    }

    [Test]
    public void Signature_Key_reads_jwt_and_inline_keys_and_refuses_the_rest()
    {
        using var key = Ed25519SignatureKey.Generate();
        var inline = ConveyedKey.ForInlineKey("sig", key.ToPublicJwk());
        Assert.That(ConveyedKey.TryRead([inline], "sig", out var conveyed, out var error), Is.True, error);
        Assert.That(conveyed!.Jwk!["x"]!.GetValue<string>(), Is.EqualTo(key.ToPublicJwk()["x"]!.GetValue<string>()));
        Assert.That(ConveyedKey.TryRead([ConveyedKey.ForJwt("sig", "a.b.c")], "sig", out conveyed, out _), Is.True);
        Assert.That(conveyed!.Jwt, Is.EqualTo("a.b.c"));

        Assert.That(ConveyedKey.TryRead(["sig=hwk;kty=\"OKP\";d=\"secret\""], "sig", out _, out error), Is.False);
        Assert.That(error, Does.Contain("'d'"));
        Assert.That(ConveyedKey.TryRead(["sig=x509;x5u=\"https://e.example\""], "sig", out _, out _), Is.False);
        Assert.That(ConveyedKey.TryRead([inline], "other", out _, out _), Is.False);
        Assert.That(ConveyedKey.TryRead([inline, inline], "sig", out _, out _), Is.False, "a label conveyed twice");
    }
}
