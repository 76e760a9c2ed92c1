using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.HttpSignatures.StructuredFields;
using LumoAuth.Agents.HttpSignatures.Verification;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.HttpSignatures;

/// <summary>
/// Every example of RFC 9421 Appendix B (and the §2.4 and §4.3 examples): the signature base is rebuilt byte for byte,
/// the published signature verifies through the verifier, and where the algorithm is deterministic (ed25519, HMAC,
/// RSA v1.5) signing reproduces the published value.
/// </summary>
public class Rfc9421AppendixBTests
{
    private static readonly DateTimeOffset Created = DateTimeOffset.FromUnixTimeSeconds(1618884473);

    private static RsaSignatureKey RsaPss(bool withPrivate = false)
    {
        using var jwk = JsonDocument.Parse(Rfc9421Vectors.RsaPssPrivateJwk);
        byte[] B(string name) => Base64Url.Decode(jwk.RootElement.GetProperty(name).GetString()!);
        var parameters = new RSAParameters { Modulus = B("n"), Exponent = B("e") };
        if (withPrivate)
        {
            parameters.D = B("d");
            parameters.P = B("p");
            parameters.Q = B("q");
            parameters.DP = B("dp");
            parameters.DQ = B("dq");
            parameters.InverseQ = B("qi");
        }

        return RsaSignatureKey.FromParameters(RsaSignatureKey.PssSha512, parameters, "test-key-rsa-pss");
    }

    private static HttpSignatureKey? Key(string? keyId) => keyId switch
    {
        "test-key-rsa-pss" => RsaPss(),
        "test-key-rsa" => RsaSignatureKey.FromPem(RsaSignatureKey.Pkcs1Sha256, Rfc9421Vectors.RsaPublicPem, keyId),
        "test-key-ecc-p256" => EcdsaSignatureKey.FromPem(Rfc9421Vectors.EccP256PublicPem, keyId),
        "test-key-ed25519" => Ed25519SignatureKey.FromPublicKeyPem(Rfc9421Vectors.Ed25519PublicPem, keyId),
        "test-shared-secret" => new HmacSignatureKey(Convert.FromBase64String(Rfc9421Vectors.SharedSecretBase64), keyId),
        _ => null,
    };

    private static SignatureVerificationResult Verify(HttpMessage message, byte[] body, string label, DateTimeOffset? now = null)
    {
        var verifier = new HttpMessageVerifier(new FakeTimeProvider(now ?? Created + TimeSpan.FromSeconds(10)));
        var policy = new SignatureVerificationPolicy { Label = label, RequireContentDigestWithBody = false };
        return verifier.VerifyAsync(message, body, policy, (candidate, _) => ValueTask.FromResult(Key(candidate.Parameters.KeyId)), CancellationToken.None)
            .AsTask().GetAwaiter().GetResult();
    }

    private static string Base(HttpMessage message, string label)
    {
        Assert.That(SfParser.TryParseDictionary(string.Join(", ", message.Values("Signature-Input")), out var inputs), Is.True);
        var components = (SfInnerList)inputs.Single(m => m.Key == label).Value;
        Assert.That(SignatureBase.TryBuild(message, components, out var signatureBase, out var error), Is.True, error);
        return signatureBase;
    }

    private static HttpMessage WithSignature(HttpMessage message, string input, string signature) =>
        message with { Headers = [.. message.Headers, new("Signature-Input", input), new("Signature", signature)] };

    private static string SignatureOf(string member) => member[(member.IndexOf('=', StringComparison.Ordinal) + 1)..];

    [TestCase("sig-b22", "sig-b22=(\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\"",
        "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:",
        Rfc9421Vectors.Base_b2_2)]
    [TestCase("sig-b23", "sig-b23=(\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\"",
        "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:",
        Rfc9421Vectors.Base_b2_3)]
    [TestCase("sig-b25", "sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
        "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
        Rfc9421Vectors.Base_b2_5)]
    [TestCase("sig-b26", "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"",
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
        Rfc9421Vectors.Base_b2_6)]
    public void B_2_request_examples_rebuild_the_base_and_verify_the_published_signature(string label, string input, string signature, string expectedBase)
    {
        var (request, body) = HttpMessageText.Parse(Rfc9421Vectors.TestRequest);
        var signed = WithSignature(request, input, signature);

        Assert.That(Base(signed, label), Is.EqualTo(expectedBase));
        var result = Verify(signed, body, label);
        Assert.That(result.Succeeded, Is.True, result.Description);
        Assert.That(result.Label, Is.EqualTo(label));
    }

    [Test]
    public void B_2_1_minimal_signature_verifies_mathematically_but_the_verifier_refuses_an_empty_component_list()
    {
        var (request, body) = HttpMessageText.Parse(Rfc9421Vectors.TestRequest);
        const string Signature = "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:";
        var signed = WithSignature(request, "sig-b21=();created=1618884473;keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\"", Signature);
        Assert.That(Base(signed, "sig-b21"), Is.EqualTo(Rfc9421Vectors.Base_b2_1));
        using var key = RsaPss();
        Assert.That(key.Verify(Encoding.ASCII.GetBytes(Rfc9421Vectors.Base_b2_1), Convert.FromBase64String(SignatureOf(Signature).Trim(':'))), Is.True);

        // RFC 9421 §7.2.1: such a signature could be moved onto any message, so the verifier refuses it.
        var result = Verify(signed, body, "sig-b21");
        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Error, Is.EqualTo(SignatureErrors.InvalidInput));
        Assert.That(result.Description, Does.Contain("covers no component"));
    }

    [Test]
    public void B_2_4_response_signed_with_ecdsa_p256_verifies_and_a_fresh_signature_verifies_too()
    {
        var (response, body) = HttpMessageText.Parse(Rfc9421Vectors.TestResponse);
        var signed = WithSignature(response,
            "sig-b24=(\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\"",
            "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:");

        Assert.That(Base(signed, "sig-b24"), Is.EqualTo(Rfc9421Vectors.Base_b2_4));
        Assert.That(Verify(signed, body, "sig-b24").Succeeded, Is.True);

        // ECDSA is randomized: a new signature differs from the published one but verifies under the public key.
        using var privateKey = EcdsaSignatureKey.FromPem(Rfc9421Vectors.EccP256PrivatePem, "test-key-ecc-p256");
        var fresh = HttpMessageSigner.Sign(response, "sig-b24", ["@status", "content-type", "content-digest", "content-length"], new SignatureParameters { Created = Created, KeyId = "test-key-ecc-p256" }, privateKey);
        Assert.That(fresh.SignatureBase, Is.EqualTo(Rfc9421Vectors.Base_b2_4));
        Assert.That(Verify(WithSignature(response, fresh.SignatureInput, fresh.Signature), body, "sig-b24").Succeeded, Is.True);
    }

    [Test]
    public void B_2_5_and_B_2_6_deterministic_algorithms_reproduce_the_published_signatures_byte_for_byte()
    {
        var (request, _) = HttpMessageText.Parse(Rfc9421Vectors.TestRequest);
        using var hmac = new HmacSignatureKey(Convert.FromBase64String(Rfc9421Vectors.SharedSecretBase64), "test-shared-secret");
        var b25 = HttpMessageSigner.Sign(request, "sig-b25", ["date", "@authority", "content-type"], new SignatureParameters { Created = Created, KeyId = "test-shared-secret" }, hmac);
        Assert.That(b25.SignatureBase, Is.EqualTo(Rfc9421Vectors.Base_b2_5));
        Assert.That(b25.Signature, Is.EqualTo("sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:"));

        using var ed25519 = Ed25519SignatureKey.FromPrivateKeyPem(Rfc9421Vectors.Ed25519PrivatePem, "test-key-ed25519");
        var b26 = HttpMessageSigner.Sign(request, "sig-b26", ["date", "@method", "@path", "@authority", "content-type", "content-length"], new SignatureParameters { Created = Created, KeyId = "test-key-ed25519" }, ed25519);
        Assert.That(b26.SignatureInput, Is.EqualTo("sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""));
        Assert.That(b26.Signature, Is.EqualTo("sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"));
    }

    [Test]
    public void B_2_1_to_B_2_3_rsa_pss_signs_fresh_signatures_that_verify()
    {
        var (request, body) = HttpMessageText.Parse(Rfc9421Vectors.TestRequest);
        using var key = RsaPss(withPrivate: true);
        var fresh = HttpMessageSigner.Sign(request, "sig-b23", ["date", "@method", "@path", "@query", "@authority", "content-type", "content-digest", "content-length"], new SignatureParameters { Created = Created, KeyId = "test-key-rsa-pss" }, key);
        Assert.That(fresh.SignatureBase, Is.EqualTo(Rfc9421Vectors.Base_b2_3));
        Assert.That(Verify(WithSignature(request, fresh.SignatureInput, fresh.Signature), body, "sig-b23").Succeeded, Is.True);
    }

    [Test]
    public void B_3_proxy_signature_over_the_client_certificate_verifies()
    {
        var (message, body) = HttpMessageText.Parse(Rfc9421Vectors.ProxySignedRequest);
        Assert.That(Base(message, "ttrp"), Is.EqualTo(Rfc9421Vectors.Base_b3_ttrp));
        var result = Verify(message, body, "ttrp");
        Assert.That(result.Succeeded, Is.True, result.Description);
    }

    [Test]
    public void B_4_transformations_keep_or_break_the_signature_as_the_RFC_says()
    {
        var (original, _) = HttpMessageText.Parse(Rfc9421Vectors.TransformOriginal);
        Assert.That(Base(original, "transform"), Is.EqualTo(Rfc9421Vectors.Base_b4_transform));
        Assert.That(Verify(original, [], "transform").Succeeded, Is.True);

        string[] variants = [Rfc9421Vectors.TransformVariant1, Rfc9421Vectors.TransformVariant2, Rfc9421Vectors.TransformVariant3, Rfc9421Vectors.TransformVariant4, Rfc9421Vectors.TransformVariant5];
        var outcomes = variants.Select(text => Verify(HttpMessageText.Parse(text).Message, [], "transform")).ToList();
        Assert.That(outcomes.Select(o => o.Succeeded), Is.EqualTo(new[] { true, true, true, false, false }));
        Assert.That(outcomes[3].Error, Is.EqualTo(SignatureErrors.InvalidSignature));
        Assert.That(outcomes[4].Error, Is.EqualTo(SignatureErrors.InvalidSignature));

        using var key = Ed25519SignatureKey.FromPrivateKeyPem(Rfc9421Vectors.Ed25519PrivatePem, "test-key-ed25519");
        var signed = HttpMessageSigner.Sign(original, "transform", ["@method", "@path", "@authority", "accept"], new SignatureParameters { Created = Created, KeyId = "test-key-ed25519" }, key);
        Assert.That(signed.Signature, Is.EqualTo("transform=:ZT1kooQsEHpZ0I1IjCqtQppOmIqlJPeo7DHR3SoMn0s5JZ1eRGS0A+vyYP9t/LXlh5QMFFQ6cpLt2m0pmj3NDA==:"));
    }

    [Test]
    public void Section_4_3_proxy_signature_with_rsa_v1_5_and_explicit_alg_verifies_and_re_signs_identically()
    {
        var (message, body) = HttpMessageText.Parse(Rfc9421Vectors.MultipleSignaturesRequest);
        Assert.That(Base(message, "proxy_sig"), Is.EqualTo(Rfc9421Vectors.Base_sec4_3_proxy_sig));
        var result = Verify(message, body, "proxy_sig", DateTimeOffset.FromUnixTimeSeconds(1618884490));
        Assert.That(result.Succeeded, Is.True, result.Description);

        // Past its expires parameter the same signature is refused.
        Assert.That(Verify(message, body, "proxy_sig", DateTimeOffset.FromUnixTimeSeconds(1618884541)).Error, Is.EqualTo(SignatureErrors.Expired));

        using var key = RsaSignatureKey.FromPem(RsaSignatureKey.Pkcs1Sha256, Rfc9421Vectors.RsaPrivatePem, "test-key-rsa");
        Assert.That(Convert.ToBase64String(key.Sign(Encoding.ASCII.GetBytes(Rfc9421Vectors.Base_sec4_3_proxy_sig))),
            Is.EqualTo(SignatureOf(message.Values("Signature").Single().Split(", ")[1]).Trim(':')));
    }

    [Test]
    public void Section_2_4_response_covering_request_components_with_req_verifies()
    {
        var (request, _) = HttpMessageText.Parse(Rfc9421Vectors.ReqResRequest);
        var (response, body) = HttpMessageText.Parse(Rfc9421Vectors.ReqResSignedResponse, request: request);
        Assert.That(Base(response, "reqres"), Is.EqualTo(Rfc9421Vectors.Base_sec2_4_reqres_1));
        var result = Verify(response, body, "reqres", DateTimeOffset.FromUnixTimeSeconds(1618884480));
        Assert.That(result.Succeeded, Is.True, result.Description);

        // Without the request it answers, the req components cannot be rebuilt.
        Assert.That(Verify(response with { Request = null }, body, "reqres", DateTimeOffset.FromUnixTimeSeconds(1618884480)).Error, Is.EqualTo(SignatureErrors.InvalidInput));
    }

    [Test]
    public void Section_2_1_field_parameters_sf_key_and_bs_serialize_as_the_RFC_prints()
    {
        StructuredFieldTypes.Register("example-dict", StructuredFieldType.Dictionary);
        var spaced = HttpMessage.ForRequest("GET", new Uri("https://example.com/"), [new("Example-Dict", "a=1,    b=2;x=1;y=2,   c=(a   b   c)")]);
        Assert.That(Line(spaced, "\"example-dict\""), Is.EqualTo("\"example-dict\": a=1,    b=2;x=1;y=2,   c=(a   b   c)"));
        Assert.That(Line(spaced, "\"example-dict\";sf"), Is.EqualTo("\"example-dict\";sf: a=1, b=2;x=1;y=2, c=(a b c)"));

        var members = HttpMessage.ForRequest("GET", new Uri("https://example.com/"), [new("Example-Dict", "a=1, b=2;x=1;y=2, c=(a   b    c), d")]);
        Assert.That(Line(members, "\"example-dict\";key=\"a\""), Is.EqualTo("\"example-dict\";key=\"a\": 1"));
        Assert.That(Line(members, "\"example-dict\";key=\"d\""), Is.EqualTo("\"example-dict\";key=\"d\": ?1"));
        Assert.That(Line(members, "\"example-dict\";key=\"b\""), Is.EqualTo("\"example-dict\";key=\"b\": 2;x=1;y=2"));
        Assert.That(Line(members, "\"example-dict\";key=\"c\""), Is.EqualTo("\"example-dict\";key=\"c\": (a b c)"));

        var twoLines = HttpMessage.ForRequest("GET", new Uri("https://example.com/"), [new("Example-Header", "value, with, lots"), new("Example-Header", "of, commas")]);
        Assert.That(Line(twoLines, "\"example-header\""), Is.EqualTo("\"example-header\": value, with, lots, of, commas"));
        Assert.That(Line(twoLines, "\"example-header\";bs"), Is.EqualTo("\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:"));
        var oneLine = HttpMessage.ForRequest("GET", new Uri("https://example.com/"), [new("Example-Header", "value, with, lots, of, commas")]);
        Assert.That(Line(oneLine, "\"example-header\";bs"), Is.EqualTo("\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHMsIG9mLCBjb21tYXM=:"));

        var empty = HttpMessage.ForRequest("GET", new Uri("https://example.com/"), [new("X-Empty-Header", " ")]);
        Assert.That(Line(empty, "\"x-empty-header\""), Is.EqualTo("\"x-empty-header\": "));
    }

    [TestCase("\"example-dict\";key=\"zz\"", "has no member")]
    [TestCase("\"example-header\";bs;sf", "cannot be covered with 'bs'")]
    [TestCase("\"example-header\";tr", "trailers")]
    [TestCase("\"example-header\";sf", "structured type is not known")]
    [TestCase("\"@status\"", "only be covered in a response")]
    [TestCase("\"@method\";req", "not a response")]
    [TestCase("\"@path\";name=\"x\"", "does not take")]
    [TestCase("\"@query-param\"", "needs a 'name'")]
    [TestCase("\"@query-param\";name=\"missing\"", "no parameter 'missing'")]
    [TestCase("\"@unknown\"", "not a derived component")]
    [TestCase("\"@query-param\";name=\"bad\"", "not valid UTF-8")]
    [TestCase("\"absent-field\"", "not in the message")]
    [TestCase("\"Example-Header\"", "lower-case")]
    public void Components_that_cannot_be_covered_are_refused_with_the_reason(string component, string reason)
    {
        StructuredFieldTypes.Register("example-dict", StructuredFieldType.Dictionary);
        var message = HttpMessage.ForRequest("GET", new Uri(component.Contains("bad", StringComparison.Ordinal) ? "https://example.com/a?bad=%FF" : "https://example.com/a?x=1"),
            [new("Example-Dict", "a=1"), new("Example-Header", "v")]);
        Assert.That(SfParser.TryParseItem(component, out var item), Is.True);
        Assert.That(SignatureBase.TryBuild(message, new SfInnerList([item], []), out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    private static string Line(HttpMessage message, string component)
    {
        Assert.That(SfParser.TryParseItem(component, out var item), Is.True);
        Assert.That(SignatureBase.TryBuild(message, new SfInnerList([item], []), out var signatureBase, out var error), Is.True, error);
        return signatureBase.Split('\n')[0];
    }
}
