using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// The AAuth token endpoint under JSON abuse and forged or malformed request signatures: each is an OAuth error
/// body, never a server error.
/// </summary>
public sealed class AAuthAttacks : AttackFixture
{
    private const string P = Tenant.AAuthTokenPath;
    private const string Json = "application/json";
    private const string AgentRequest = """{"request_type":"agent","agent_id":"research-bot"}""";
    private static readonly string[] Request = ["invalid_request"];
    private static readonly string[] RequestOrToken = ["invalid_request", "invalid_token", "invalid_client", "invalid_grant"];

    private static HostileCase Refused(string name, Func<AttackFixture, HttpRequestMessage> build, string[] errors, params int[] statuses) =>
        new(name, build, Shape.OAuthError, statuses.Length == 0 ? [400, 401] : statuses, errors);

    /// <summary>An agent-token request carrying the given signature headers.</summary>
    private static HttpRequestMessage Signed(string body, params (string Name, string Value)[] headers)
    {
        var request = Raw(P, body, Json);
        foreach (var (name, value) in headers)
        {
            WithHeader(request, name, value);
        }

        return request;
    }

    private const string SignatureInput = "sig=(\"@method\" \"@authority\" \"@path\" \"content-type\");created=1700000000;keyid=\"k\"";

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return Refused("an unsigned agent-token request", _ => Raw(P, AgentRequest, Json), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("an unsigned agent-token request at the short path", _ => Raw("/aauth/agent/token", AgentRequest, Json), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("malformed JSON", _ => Raw(P, "{\"request_type\":", Json), Request).ToTestCase();
        yield return Refused("JSON nested 10,000 deep", _ => Raw(P, DeepJson(10_000), Json), Request).ToTestCase();
        yield return Refused("a nested object as a value", _ => Raw(P, DeepObject("request_type", 100), Json), Request).ToTestCase();
        yield return Refused("a JSON array", _ => Raw(P, "[1,2,3]", Json), Request).ToTestCase();
        yield return Refused("JSON null", _ => Raw(P, "null", Json), Request).ToTestCase();
        yield return Refused("a number as request_type", _ => Raw(P, """{"request_type":5,"agent_id":"research-bot"}""", Json), Request).ToTestCase();
        yield return Refused("an array as agent_id", _ => Raw(P, """{"request_type":"agent","agent_id":["research-bot"]}""", Json), Request).ToTestCase();
        yield return Refused("request_type duplicated", _ => Raw(P, """{"request_type":"agent","request_type":"auth","agent_id":"research-bot"}""", Json), Request).ToTestCase();
        yield return Refused("agent_id duplicated", _ => Raw(P, """{"request_type":"agent","agent_id":"search-tool","agent_id":"research-bot"}""", Json), Request).ToTestCase();
        yield return Refused("a body of 1.2 MB", _ => Raw(P, $$"""{"request_type":"agent","agent_id":"{{Filler(1_200_000)}}"}""", Json), Request, 400, 413).ToTestCase();
        yield return Refused("10,000 JSON members", _ => Raw(P, "{" + string.Join(',', Enumerable.Range(0, 10_000).Select(i => $"\"p{i}\":1")) + "}", Json), Request, 400, 413).ToTestCase();
        yield return Refused("a text/plain body", _ => Raw(P, AgentRequest, "text/plain"), Request, 400, 415).ToTestCase();
        yield return Refused("no Content-Type", _ => Raw(P, AgentRequest, null), Request, 400, 415).ToTestCase();
        yield return Refused("a form body", _ => Form(P, ("request_type", "agent"), ("agent_id", "research-bot")), Request, 400, 415).ToTestCase();
        yield return Refused("invalid UTF-8 in JSON", _ => new HttpRequestMessage(HttpMethod.Post, At(P))
        {
            Content = Bytes([.. "{\"request_type\":\"agent\",\"agent_id\":\""u8.ToArray(), 0xED, 0xA0, 0x80, 0xFF, .. "\"}"u8.ToArray()], Json),
        }, Request).ToTestCase();
        yield return Refused("a NUL byte in agent_id", _ => Raw(P, """{"request_type":"agent","agent_id":"research-bot\u0000"}""", Json), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("an agent_id of 100,000 characters", _ => Raw(P, $$"""{"request_type":"agent","agent_id":"{{Filler(100_000)}}"}""", Json), RequestOrToken, 400, 401, 413).ToTestCase();
        yield return Refused("markup as request_type", _ => Raw(P, $$"""{"request_type":"{{HostileAnswers.Markup}}"}""", Json), Request).ToTestCase();
        yield return Refused("a garbage signature", _ => Signed(AgentRequest, ("Signature-Input", SignatureInput), ("Signature", "sig=:AAAA:"),
            ("Signature-Key", "sig=hwk;kty=\"OKP\";crv=\"Ed25519\";x=\"AAAA\"")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("a signature header that is not a structured field", _ => Signed(AgentRequest, ("Signature-Input", "((((\"\"\"\";;;=="), ("Signature", ":::")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("a signature covering no component", _ => Signed(AgentRequest, ("Signature-Input", "sig=();created=1700000000"), ("Signature", "sig=:AAAA:"),
            ("Signature-Key", "sig=hwk;kty=\"OKP\";crv=\"Ed25519\";x=\"OJrtT_5no9g1YdLavoFKFbo1wOPh4lyvQJd8xoV-MkI\"")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("an auth request with a forged alg-none agent token", f => Signed("""{"request_type":"auth","scope":"read:articles"}""",
            ("Signature-Input", SignatureInput), ("Signature", "sig=:AAAA:"), ("Signature-Key", $"sig=jwt;jwt=\"{Forgery.WithoutSignature(f.ResearchBotToken, "none")}\"")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("an auth request with a bearer access token as agent token", f => Signed("""{"request_type":"auth","scope":"read:articles"}""",
            ("Signature-Input", SignatureInput), ("Signature", "sig=:AAAA:"), ("Signature-Key", $"sig=jwt;jwt=\"{f.ResearchBotToken}\"")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("an auth request without any signature", f => Raw(P, $$"""{"request_type":"auth","agent_token":"{{f.ResearchBotToken}}","scope":"read:articles"}""", Json), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("an Agent-Auth header of garbage", _ => Signed(AgentRequest, ("Agent-Auth", "garbage;;;===\"")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("a Signature header of 20,000 characters", _ => Signed(AgentRequest, ("Signature-Input", SignatureInput), ("Signature", "sig=:" + Filler(20_000, 'A') + ":")), RequestOrToken, 400, 401).ToTestCase();
        yield return Refused("a refresh request with markup as its token", _ => Signed($$"""{"request_type":"refresh","refresh_token":"{{HostileAnswers.Markup}}"}""",
            ("Signature-Input", SignatureInput), ("Signature", "sig=:AAAA:")), RequestOrToken, 400, 401).ToTestCase();
    }

    private static ByteArrayContent Bytes(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);
}
