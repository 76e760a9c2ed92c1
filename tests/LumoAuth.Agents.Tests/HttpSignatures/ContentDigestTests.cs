using System.Text;
using LumoAuth.Agents.HttpSignatures.Digests;

namespace LumoAuth.Agents.Tests.HttpSignatures;

public class ContentDigestTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"hello\": \"world\"}");

    [Test]
    public void The_RFC_9530_examples_are_reproduced_byte_for_byte()
    {
        Assert.That(ContentDigest.Create(Body), Is.EqualTo("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"));
        Assert.That(ContentDigest.Create(Body, "sha-512"),
            Is.EqualTo("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"));
    }

    [TestCase("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ContentDigestResult.Valid)]
    [TestCase("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ContentDigestResult.Valid)]
    [TestCase("md5=:rL0Y20zC+Fzt72VPzMSk2A==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ContentDigestResult.Valid)]
    [TestCase("sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:", ContentDigestResult.Mismatch)]
    [TestCase("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:AAAA:", ContentDigestResult.Mismatch)]
    [TestCase("md5=:rL0Y20zC+Fzt72VPzMSk2A==:", ContentDigestResult.UnsupportedAlgorithm)]
    [TestCase("", ContentDigestResult.Missing)]
    [TestCase("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", ContentDigestResult.Malformed)]
    [TestCase("sha-256=:not base64!:", ContentDigestResult.Malformed)]
    [TestCase("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,", ContentDigestResult.Malformed)]
    [TestCase("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ContentDigestResult.Malformed)]
    [TestCase("SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", ContentDigestResult.Malformed)]
    public void A_received_header_is_checked_against_the_body(string header, ContentDigestResult expected) =>
        Assert.That(ContentDigest.Verify(header, Body), Is.EqualTo(expected));

    [Test]
    public void A_changed_body_no_longer_matches() =>
        Assert.That(ContentDigest.Verify(ContentDigest.Create(Body), Encoding.UTF8.GetBytes("{\"hello\": \"World\"}")), Is.EqualTo(ContentDigestResult.Mismatch));

    [Test]
    public void Only_sha_256_and_sha_512_can_be_created() =>
        Assert.Throws<ArgumentException>(() => ContentDigest.Create(Body, "md5"));
}
