using System.Text;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.Tests.HttpSignatures;

public class SignatureBaseTests
{
    // RFC 9421 Appendix B.2: the test request.
    private static readonly HttpMessage Request = new("POST", new Uri("https://example.com/foo?param=Value&Pet=dog"),
    [
        new("Host", "example.com"),
        new("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        new("Content-Type", "application/json"),
        new("Content-Digest", "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"),
        new("Content-Length", "18"),
    ]);

    private static readonly byte[] SharedSecret = Convert.FromBase64String("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==");

    private static SfInnerList Components(string signatureInput)
    {
        Assert.That(SfParser.TryParseDictionary(signatureInput, out var dictionary), Is.True);
        return (SfInnerList)dictionary.Single().Value;
    }

    [Test]
    public void RFC_9421_B_2_5_HMAC_signature_base_and_signature_are_reproduced_byte_for_byte()
    {
        var components = Components("sig-b25=(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"");
        Assert.That(SignatureBase.TryBuild(Request, components, out var signatureBase, out var error), Is.True, error);
        Assert.That(signatureBase, Is.EqualTo(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n" +
            "\"@authority\": example.com\n" +
            "\"content-type\": application/json\n" +
            "\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""));
        using var key = new HmacSignatureKey(SharedSecret);
        Assert.That(Convert.ToBase64String(key.Sign(Encoding.ASCII.GetBytes(signatureBase))), Is.EqualTo("pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8="));
        Assert.That(key.Verify(Encoding.ASCII.GetBytes(signatureBase), Convert.FromBase64String("pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=")), Is.True);
    }

    [Test]
    public void RFC_9421_B_2_1_minimal_base_covers_only_the_signature_parameters()
    {
        var components = Components("sig-b21=();created=1618884473;keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\"");
        Assert.That(SignatureBase.TryBuild(Request, components, out var signatureBase, out _), Is.True);
        Assert.That(signatureBase, Is.EqualTo("\"@signature-params\": ();created=1618884473;keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\""));
    }

    [Test]
    public void Derived_components_are_read_from_the_target_URI()
    {
        var components = Components("s=(\"@method\" \"@target-uri\" \"@authority\" \"@scheme\" \"@request-target\" \"@path\" \"@query\" \"@query-param\";name=\"Pet\")");
        Assert.That(SignatureBase.TryBuild(Request, components, out var signatureBase, out var error), Is.True, error);
        Assert.That(signatureBase.Split('\n')[..8], Is.EqualTo(new[]
        {
            "\"@method\": POST",
            "\"@target-uri\": https://example.com/foo?param=Value&Pet=dog",
            "\"@authority\": example.com",
            "\"@scheme\": https",
            "\"@request-target\": /foo?param=Value&Pet=dog",
            "\"@path\": /foo",
            "\"@query\": ?param=Value&Pet=dog",
            "\"@query-param\";name=\"Pet\": dog",
        }));
    }

    [Test]
    public void A_changed_covered_header_changes_the_signature()
    {
        var components = Components("s=(\"date\" \"content-type\");keyid=\"k\"");
        SignatureBase.TryBuild(Request, components, out var original, out _);
        var tampered = Request with { Headers = [.. Request.Headers.Select(h => h.Key == "Content-Type" ? new KeyValuePair<string, string>(h.Key, "text/plain") : h)] };
        SignatureBase.TryBuild(tampered, components, out var changed, out _);
        using var key = new HmacSignatureKey(SharedSecret);
        Assert.That(key.Verify(Encoding.ASCII.GetBytes(changed), key.Sign(Encoding.ASCII.GetBytes(original))), Is.False);
    }

    [Test]
    public void Repeated_fields_are_combined_in_order()
    {
        var message = Request with { Headers = [new("X-Tag", " a "), new("X-Tag", "b")] };
        SignatureBase.TryBuild(message, Components("s=(\"x-tag\")"), out var signatureBase, out _);
        Assert.That(signatureBase.Split('\n')[0], Is.EqualTo("\"x-tag\": a, b"));
    }

    [TestCase("s=(\"date\" \"date\")", "covered twice", TestName = "A_component_covered_twice_is_refused")]
    [TestCase("s=(\"authorization\")", "not in the message", TestName = "A_covered_header_that_is_absent_is_refused")]
    [TestCase("s=(\"@status\")", "only be covered in a response", TestName = "A_response_only_component_on_a_request_is_refused")]
    [TestCase("s=(\"@query-param\";name=\"missing\")", "no parameter", TestName = "A_missing_query_parameter_is_refused")]
    [TestCase("s=(\"Date\")", "lower-case", TestName = "An_upper_case_component_is_refused")]
    [TestCase("s=(\"date\";sf)", "structured type is not known", TestName = "A_field_of_unknown_structured_type_covered_with_sf_is_refused")]
    [TestCase("s=(\"date\";foo)", "unknown parameter 'foo'", TestName = "An_unknown_field_parameter_is_refused")]
    public void Unbuildable_bases_are_refused_with_a_reason(string input, string reason)
    {
        Assert.That(SignatureBase.TryBuild(Request, Components(input), out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
    }
}
