using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.Tests.HttpSignatures;

public class SfParserTests
{
    private const string SignatureInput =
        "sig1=(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-length\" \"content-type\");created=1618884473;keyid=\"test-key-rsa-pss\"";

    [Test]
    public void A_Signature_Input_dictionary_parses_into_an_inner_list_with_parameters()
    {
        Assert.That(SfParser.TryParseDictionary(SignatureInput, out var dictionary), Is.True);
        var (label, member) = dictionary.Single();
        Assert.That(label, Is.EqualTo("sig1"));
        var list = (SfInnerList)member;
        Assert.That(list.Items.Select(i => ((SfString)i.Value).Value), Is.EqualTo(new[] { "@method", "@authority", "@path", "content-digest", "content-length", "content-type" }));
        Assert.That(list.Parameters["created"], Is.EqualTo(new SfInteger(1618884473)));
        Assert.That(list.Parameters["keyid"], Is.EqualTo(new SfString("test-key-rsa-pss")));
    }

    [Test]
    public void Serialization_reproduces_the_canonical_form()
    {
        Assert.That(SfParser.TryParseDictionary(SignatureInput, out var dictionary), Is.True);
        Assert.That(dictionary.Single().Value.Serialize(),
            Is.EqualTo("(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-length\" \"content-type\");created=1618884473;keyid=\"test-key-rsa-pss\""));
    }

    [Test]
    public void Every_bare_item_type_is_read()
    {
        Assert.That(SfParser.TryParseDictionary("a=1, b=-2.5, c=\"x\\\"y\", d=tok/en:1, e=:AQID:, f=?0, g, h;p;q=?0", out var d), Is.True);
        var map = d.ToDictionary(m => m.Key, m => ((SfItem)m.Value).Value);
        Assert.That(map["a"], Is.EqualTo(new SfInteger(1)));
        Assert.That(map["b"], Is.EqualTo(new SfDecimal(-2.5m)));
        Assert.That(map["c"], Is.EqualTo(new SfString("x\"y")));
        Assert.That(map["d"], Is.EqualTo(new SfToken("tok/en:1")));
        Assert.That(((SfBytes)map["e"]).Value, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(map["f"], Is.EqualTo(new SfBoolean(false)));
        Assert.That(map["g"], Is.EqualTo(new SfBoolean(true)), "a key alone is true");
        Assert.That(d.Single(m => m.Key == "h").Value.Serialize(), Is.EqualTo("?1;p;q=?0"));
    }

    [Test]
    public void A_repeated_key_keeps_the_last_value() =>
        Assert.That(SfParser.TryParseDictionary("a=1, a=2", out var d) && ((SfInteger)((SfItem)d.Single().Value).Value).Value == 2, Is.True);

    [TestCase("a=1,", TestName = "A_trailing_comma_is_refused")]
    [TestCase("a=1,,b=2", TestName = "An_empty_member_is_refused")]
    [TestCase("A=1", TestName = "An_upper_case_key_is_refused")]
    [TestCase("a=1234567890123456", TestName = "An_integer_of_16_digits_is_refused")]
    [TestCase("a=1.2345", TestName = "A_decimal_with_4_fraction_digits_is_refused")]
    [TestCase("a=1.", TestName = "A_decimal_without_fraction_is_refused")]
    [TestCase("a=\"unterminated", TestName = "An_unterminated_string_is_refused")]
    [TestCase("a=\"bad\\escape\"", TestName = "A_bad_string_escape_is_refused")]
    [TestCase("a=\"caf\u00e9\"", TestName = "A_non_ASCII_string_is_refused")]
    [TestCase("a=:not base64:", TestName = "Bad_base64_is_refused")]
    [TestCase("a=(\"x\"\"y\")", TestName = "Inner_list_items_must_be_separated")]
    [TestCase("a=(\"x\"", TestName = "An_unterminated_inner_list_is_refused")]
    [TestCase("a=?2", TestName = "A_bad_boolean_is_refused")]
    [TestCase("a=1 b=2", TestName = "Members_must_be_comma_separated")]
    [TestCase("a=1;", TestName = "A_parameter_without_key_is_refused")]
    public void Malformed_fields_fail_as_a_whole(string input) =>
        Assert.That(SfParser.TryParseDictionary(input, out _), Is.False);

    [Test]
    public void Whitespace_rules_follow_RFC_8941()
    {
        Assert.That(SfParser.TryParseDictionary("a=1 ,\tb=2", out var d), Is.True);
        Assert.That(d, Has.Count.EqualTo(2));
        Assert.That(SfParser.TryParseDictionary("a=( \"x\"  \"y\" )", out var inner), Is.True);
        Assert.That(((SfInnerList)inner.Single().Value).Items, Has.Count.EqualTo(2));
        Assert.That(SfParser.TryParseDictionary("", out var empty) && empty.Count == 0, Is.True);
    }
}
