using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// Form and JSON abuse, duplicated parameters, control characters, overlong values and odd content types at the
/// token endpoint (both paths): each is a standard OAuth error, never a server error or a trace.
/// </summary>
public sealed class TokenEndpointAttacks : AttackFixture
{
    private const string Cc = "client_credentials";
    private const string Rb = Tenant.ResearchBot;
    private const string RbSecret = Tenant.ResearchBotSecret;
    private const string Json = "application/json";
    private const string FormType = "application/x-www-form-urlencoded";

    private static readonly string[] Request = ["invalid_request"];
    private static readonly string[] RequestOrClient = ["invalid_request", "invalid_client"];
    private static readonly string[] RequestOrScope = ["invalid_request", "invalid_scope"];
    private static readonly string[] RequestOrGrant = ["invalid_request", "invalid_grant"];

    private static HostileCase Refused(string name, Func<AttackFixture, HttpRequestMessage> build, string[]? errors, params int[] statuses) =>
        new(name, build, Shape.OAuthError, statuses.Length == 0 ? [400, 401] : statuses, errors);

    private static (string, string)[] Credentials() => [("grant_type", Cc), ("client_id", Rb), ("client_secret", RbSecret)];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var path in new[] { Tenant.TokenPath, Tenant.SeedTokenPath })
        {
            var p = path == Tenant.TokenPath ? "" : " (seed path)";
            yield return Refused("grant_type missing" + p, _ => Form(path, ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
            yield return Refused("grant_type duplicated" + p, _ => Form(path, ("grant_type", Cc), ("grant_type", Cc), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
            yield return Refused("client_id duplicated with two agents" + p, _ => Form(path, ("grant_type", Cc), ("client_id", Rb), ("client_id", Tenant.SearchTool), ("client_secret", RbSecret)), RequestOrClient).ToTestCase();
            yield return Refused("NUL byte in client_id" + p, _ => Form(path, ("grant_type", Cc), ("client_id", Rb + "\0"), ("client_secret", RbSecret)), RequestOrClient).ToTestCase();
            yield return Refused("10,000 form parameters" + p, _ => Form(path, ManyFields(10_000, Credentials())), Request, 400, 413).ToTestCase();
            yield return Refused("JSON body instead of a form" + p, _ => Raw(path, $$"""{"grant_type":"{{Cc}}","client_id":"{{Rb}}","client_secret":"{{RbSecret}}"}""", Json), Request).ToTestCase();
            yield return Refused("text/plain body" + p, _ => Raw(path, $"grant_type={Cc}&client_id={Rb}&client_secret={RbSecret}", "text/plain"), Request, 400, 415).ToTestCase();
        }

        const string P = Tenant.TokenPath;
        // RFC 8707 resource indicators: unregistered, malformed, oversized and repeated values.
        string[] target = ["invalid_request", "invalid_target"];
        yield return Refused("resource not registered", _ => Form(P, [.. Credentials(), ("resource", "https://evil.example/mcp")]), ["invalid_target"]).ToTestCase();
        yield return Refused("resource relative", _ => Form(P, [.. Credentials(), ("resource", "mcp")]), target).ToTestCase();
        yield return Refused("resource with a fragment", _ => Form(P, [.. Credentials(), ("resource", "https://evil.example/mcp#x")]), target).ToTestCase();
        yield return Refused("resource with a NUL byte", _ => Form(P, [.. Credentials(), ("resource", "https://evil.example/\0")]), target).ToTestCase();
        yield return Refused("resource with CR LF", _ => Form(P, [.. Credentials(), ("resource", "https://evil.example/\r\nX-Injected: 1")]), target).ToTestCase();
        yield return Refused("resource of 100,000 characters", _ => Form(P, [.. Credentials(), ("resource", "https://evil.example/" + Filler(100_000))]), target, 400, 413).ToTestCase();
        yield return Refused("resource repeated 200 times", _ => Form(P, [.. Credentials(), .. Enumerable.Range(0, 200).Select(i => ("resource", $"https://evil.example/{i}"))]), target).ToTestCase();
        yield return Refused("resource javascript: URI", _ => Form(P, [.. Credentials(), ("resource", "javascript:alert(1)")]), target).ToTestCase();
        yield return Refused("resource file: URI", _ => Form(P, [.. Credentials(), ("resource", "file:///etc/passwd")]), target).ToTestCase();
        yield return Refused("grant_type empty", _ => Form(P, ("grant_type", ""), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
        yield return Refused("grant_type unknown", _ => Form(P, ("grant_type", "urn:example:evil"), ("client_id", Rb), ("client_secret", RbSecret)), ["unsupported_grant_type"]).ToTestCase();
        yield return Refused("password grant with Alice's password", _ => Form(P, ("grant_type", "password"), ("username", Tenant.AliceUser), ("password", Tenant.AlicePassword), ("client_id", Rb), ("client_secret", RbSecret)), ["unsupported_grant_type", "unauthorized_client"]).ToTestCase();
        yield return Refused("jwt-bearer grant", _ => Form(P, ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", "a.b.c"), ("client_id", Rb), ("client_secret", RbSecret)), ["unsupported_grant_type", "unauthorized_client"]).ToTestCase();
        yield return Refused("grant_type duplicated with two grants", _ => Form(P, ("grant_type", Cc), ("grant_type", "authorization_code"), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
        yield return Refused("client_id duplicated with one value", _ => Form(P, ("grant_type", Cc), ("client_id", Rb), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
        yield return Refused("client_secret duplicated", _ => Form(P, ("grant_type", Cc), ("client_id", Rb), ("client_secret", "wrong-secret-value"), ("client_secret", RbSecret)), RequestOrClient).ToTestCase();
        yield return Refused("scope duplicated", _ => Form(P, ("grant_type", Cc), ("client_id", Rb), ("client_secret", RbSecret), ("scope", "read:articles"), ("scope", "search:web")), Request).ToTestCase();
        yield return Refused("secret in the body and in a Basic header", _ => Basic(Form(P, Credentials()), Rb, RbSecret), RequestOrClient).ToTestCase();
        yield return Refused("Basic header that is not base64", _ => With(Form(P, ("grant_type", Cc)), "Basic !!!not-base64!!!"), RequestOrClient).ToTestCase();
        yield return Refused("Basic header without a colon", _ => With(Form(P, ("grant_type", Cc)), "Basic " + Convert.ToBase64String("research-bot"u8.ToArray())), RequestOrClient).ToTestCase();
        yield return Refused("Basic header that is empty", _ => With(Form(P, ("grant_type", Cc)), "Basic "), RequestOrClient).ToTestCase();
        yield return Refused("Basic header with a wrong secret", _ => Basic(Form(P, ("grant_type", Cc)), Rb, "wrong-secret-value"), ["invalid_client"]).ToTestCase();
        yield return Refused("Basic header with NUL in the client id", _ => Basic(Form(P, ("grant_type", Cc)), Rb + "\0", RbSecret), RequestOrClient).ToTestCase();
        yield return Refused("a bearer token instead of client authentication", f => With(Form(P, ("grant_type", Cc)), "Bearer " + f.ResearchBotToken), RequestOrClient).ToTestCase();
        yield return Refused("wrong client secret", _ => Form(P, ("grant_type", Cc), ("client_id", Rb), ("client_secret", "wrong-secret-value")), ["invalid_client"]).ToTestCase();
        yield return Refused("unknown client", _ => Form(P, ("grant_type", Cc), ("client_id", "no-such-agent"), ("client_secret", RbSecret)), ["invalid_client"]).ToTestCase();
        yield return Refused("NUL byte in client_secret", _ => Form(P, ("grant_type", Cc), ("client_id", Rb), ("client_secret", RbSecret + "\0")), RequestOrClient).ToTestCase();
        yield return Refused("NUL byte in scope", _ => Form(P, [.. Credentials(), ("scope", "read:articles\0")]), RequestOrScope).ToTestCase();
        yield return Refused("NUL byte in grant_type", _ => Form(P, ("grant_type", Cc + "\0"), ("client_id", Rb), ("client_secret", RbSecret)), ["invalid_request", "unsupported_grant_type"]).ToTestCase();
        yield return Refused("NUL byte in a parameter name", _ => Raw(P, $"grant_type%00={Cc}&client_id={Rb}&client_secret={RbSecret}", FormType), Request).ToTestCase();
        yield return Refused("CR LF in scope", _ => Form(P, [.. Credentials(), ("scope", "read:articles\r\nX-Injected: 1")]), RequestOrScope).ToTestCase();
        yield return Refused("control character in client_id", _ => Form(P, ("grant_type", Cc), ("client_id", "research\u0001bot"), ("client_secret", RbSecret)), RequestOrClient).ToTestCase();
        yield return Refused("DEL character in scope", _ => Form(P, [.. Credentials(), ("scope", "read:articles\u007f")]), RequestOrScope).ToTestCase();
        yield return Refused("right-to-left override in client_id", _ => Form(P, ("grant_type", Cc), ("client_id", "\u202e" + Rb), ("client_secret", RbSecret)), RequestOrClient).ToTestCase();
        yield return Refused("invalid UTF-8 in client_id", _ => Raw(P, $"grant_type={Cc}&client_id=%ED%A0%80%FF&client_secret={RbSecret}", FormType), RequestOrClient).ToTestCase();
        yield return Refused("client_id of 100,000 characters", _ => Form(P, ("grant_type", Cc), ("client_id", Filler(100_000)), ("client_secret", RbSecret)), RequestOrClient, 400, 401, 413).ToTestCase();
        yield return Refused("client_secret of 100,000 characters", _ => Form(P, ("grant_type", Cc), ("client_id", Rb), ("client_secret", Filler(100_000))), RequestOrClient, 400, 401, 413).ToTestCase();
        yield return Refused("scope of 1.2 MB", _ => Form(P, [.. Credentials(), ("scope", Filler(1_200_000))]), RequestOrScope, 400, 413).ToTestCase();
        yield return Refused("1.2 MB body in an unknown parameter", _ => Form(P, [.. Credentials(), ("padding", Filler(1_200_000))]), Request, 400, 413).ToTestCase();
        yield return Refused("10,000 scope parameters", _ => Form(P, [.. Credentials(), .. Enumerable.Range(0, 10_000).Select(_ => ("scope", "read:articles"))]), RequestOrScope, 400, 413).ToTestCase();
        yield return Refused("10,000 scopes in one value", _ => Form(P, [.. Credentials(), ("scope", string.Join(' ', Enumerable.Range(0, 10_000).Select(i => $"s{i}")))]), RequestOrScope).ToTestCase();
        yield return Refused("scope beyond the agent's capabilities", _ => Form(P, [.. Credentials(), ("scope", "agents:admin")]), ["invalid_scope"]).ToTestCase();
        yield return Refused("markup in scope", _ => Form(P, [.. Credentials(), ("scope", HostileAnswers.Markup)]), RequestOrScope).ToTestCase();
        yield return Refused("markup in client_id", _ => Form(P, ("grant_type", Cc), ("client_id", HostileAnswers.Markup), ("client_secret", RbSecret)), RequestOrClient).ToTestCase();
        yield return Refused("no Content-Type", _ => Raw(P, $"grant_type={Cc}&client_id={Rb}&client_secret={RbSecret}", null), Request, 400, 415).ToTestCase();
        yield return Refused("multipart/form-data body", _ => new HttpRequestMessage(HttpMethod.Post, At(P))
        {
            Content = new MultipartFormDataContent { { new StringContent(Cc), "grant_type" }, { new StringContent(Rb), "client_id" }, { new StringContent(RbSecret), "client_secret" } },
        }, Request, 400, 415).ToTestCase();
        yield return Refused("binary garbage as a form", _ => new HttpRequestMessage(HttpMethod.Post, At(P))
        {
            Content = Binary(FormType),
        }, Request).ToTestCase();
        yield return Refused("malformed JSON", _ => Raw(P, "{\"grant_type\":", Json), Request).ToTestCase();
        yield return Refused("JSON nested 10,000 deep", _ => Raw(P, DeepJson(10_000), Json), Request).ToTestCase();
        yield return Refused("client credentials in a GET query", _ => Get($"{P}?grant_type={Cc}&client_id={Rb}&client_secret={RbSecret}"), Request, 400, 405).ToTestCase();
        yield return Refused("PUT", _ => Raw(P, $"grant_type={Cc}&client_id={Rb}&client_secret={RbSecret}", FormType, HttpMethod.Put), Request, 400, 405).ToTestCase();

        // Grants with hostile tokens and codes.
        yield return Refused("token exchange without subject_token", _ => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token_type", Tenant.AccessTokenType)), Request).ToTestCase();
        yield return Refused("token exchange with subject_token duplicated", f => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", f.ResearchBotToken), ("subject_token", f.SearchToolToken), ("subject_token_type", Tenant.AccessTokenType)), Request).ToTestCase();
        yield return Refused("token exchange with an empty subject_token", _ => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", ""), ("subject_token_type", Tenant.AccessTokenType)), Request).ToTestCase();
        yield return Refused("token exchange with an unknown subject_token_type", f => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", f.ResearchBotToken), ("subject_token_type", "urn:example:evil")), Request).ToTestCase();
        yield return Refused("token exchange with subject_token_type duplicated", f => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", f.ResearchBotToken), ("subject_token_type", Tenant.AccessTokenType), ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt")), Request).ToTestCase();
        yield return Refused("token exchange with markup as subject_token", _ => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", HostileAnswers.Markup), ("subject_token_type", Tenant.AccessTokenType)), RequestOrGrant).ToTestCase();
        yield return Refused("token exchange with actor_token duplicated", f => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", f.ResearchBotToken), ("subject_token_type", Tenant.AccessTokenType), ("actor_token", f.ResearchBotToken), ("actor_token", f.SearchToolToken), ("actor_token_type", Tenant.AccessTokenType)), Request).ToTestCase();
        yield return Refused("token exchange with NUL in subject_token", f => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", f.ResearchBotToken + "\0"), ("subject_token_type", Tenant.AccessTokenType)), RequestOrGrant).ToTestCase();
        yield return Refused("token exchange with a subject_token of 1.2 MB", _ => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", Filler(1_200_000)), ("subject_token_type", Tenant.AccessTokenType)), RequestOrGrant, 400, 413).ToTestCase();
        yield return Refused("token exchange with markup as audience", f => Form(P, ("grant_type", Tenant.TokenExchange), ("subject_token", f.ResearchBotToken), ("subject_token_type", Tenant.AccessTokenType), ("audience", HostileAnswers.Markup)), ["invalid_request", "invalid_grant", "invalid_target"]).ToTestCase();
        yield return Refused("authorization_code with a made-up code", _ => Form(P, ("grant_type", "authorization_code"), ("code", "made-up-code"), ("redirect_uri", "http://127.0.0.1/callback"), ("code_verifier", Filler(50)), ("client_id", Rb), ("client_secret", RbSecret)), RequestOrGrant).ToTestCase();
        yield return Refused("authorization_code without code", _ => Form(P, ("grant_type", "authorization_code"), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
        yield return Refused("authorization_code with code duplicated", _ => Form(P, ("grant_type", "authorization_code"), ("code", "a"), ("code", "b"), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
        yield return Refused("authorization_code with redirect_uri duplicated", f => Form(P, ("grant_type", "authorization_code"), ("code", "made-up-code"), ("redirect_uri", f.Callback.AbsoluteUri), ("redirect_uri", "https://evil.example/"), ("code_verifier", Filler(50)), ("client_id", Rb), ("client_secret", RbSecret)), Request).ToTestCase();
        yield return Refused("refresh_token that is made up", _ => Form(P, ("grant_type", "refresh_token"), ("refresh_token", "made-up"), ("client_id", Rb), ("client_secret", RbSecret)), RequestOrGrant).ToTestCase();
        yield return Refused("refresh_token that is an access token", f => Form(P, ("grant_type", "refresh_token"), ("refresh_token", f.ResearchBotToken), ("client_id", Rb), ("client_secret", RbSecret)), RequestOrGrant).ToTestCase();
    }

    private static ByteArrayContent Binary(string contentType)
    {
        var bytes = new byte[4096];
        new Random(13).NextBytes(bytes);
        bytes[0] = 0;
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);
}
