using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// How MCP clients register, attacked from outside: client_id metadata document URLs the server must not fetch (private,
/// link-local, plain http, malformed, oversized) at the authorization and token endpoints, and the RFC 7591 registration
/// endpoint (turned on for this host, with an initial access token) with malformed, oversized, duplicated and forged
/// input. Every answer is the endpoint's standard error, and nothing is registered by a refused request.
/// </summary>
public sealed class ClientRegistrationAttacks : AttackFixture
{
    private const string RegisterPath = "/connect/register";
    private const string InitialAccessToken = "black-box-initial-access-token-0123456789abcdef";
    private static readonly string[] InvalidClient = ["invalid_client"];
    private static readonly string[] Metadata = ["invalid_client_metadata"];
    private static readonly string[] Redirect = ["invalid_redirect_uri"];

    protected override string[] HostSettings =>
    [
        "--LumoAgents:ClientRegistration:Dynamic:Enabled=true",
        $"--LumoAgents:ClientRegistration:Dynamic:InitialAccessTokens:0={InitialAccessToken}",
        "--LumoAgents:ClientRegistration:Dynamic:RegistrationsPerHourPerIp=1000",
    ];

    private static HttpRequestMessage AuthorizeAs(string clientId) => Get(Tenant.AuthorizationPath + "?" + string.Join('&', new[]
    {
        ("client_id", clientId), ("response_type", "code"), ("redirect_uri", "http://127.0.0.1:7777/callback"), ("scope", "search:web"),
        ("code_challenge", "javqQZjtgLDmYYblj0bq4m6wNtSX-TpJayRrKD5uvUE"), ("code_challenge_method", "S256"), ("state", "s"),
    }.Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2)}")));

    private static HostileCase Document(string name, string clientId) =>
        new($"client_id document {name}", _ => AuthorizeAs(clientId), Shape.AuthorizationError, [401], InvalidClient);

    private static HostileCase TokenDocument(string name, string clientId) =>
        new($"token request with a client_id document {name}", _ => Form(Tenant.TokenPath, ("grant_type", "authorization_code"), ("code", "made-up"),
            ("redirect_uri", "http://127.0.0.1:7777/callback"), ("code_verifier", Filler(50)), ("client_id", clientId)), Shape.OAuthError, [400, 401], InvalidClient);

    private static HostileCase Register(string name, string body, int status, string[] errors, string contentType = "application/json", string? token = null) =>
        new($"registration {name}", _ => token is null ? Raw(RegisterPath, body, contentType) : WithHeader(Raw(RegisterPath, body, contentType), "Authorization", "Bearer " + token),
            Shape.OAuthError, [status], errors);

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return Document("on a loopback address", "https://127.0.0.1:1/client.json").ToTestCase();
        yield return Document("on the cloud metadata address", "https://169.254.169.254/latest/meta-data/client.json").ToTestCase();
        yield return Document("on a private address", "https://10.0.0.1/client.json").ToTestCase();
        yield return Document("on an IPv6 loopback address", "https://[::1]:1/client.json").ToTestCase();
        yield return Document("on an IPv4-mapped IPv6 private address", "https://[::ffff:192.168.0.1]/client.json").ToTestCase();
        yield return Document("on localhost", "https://localhost:1/client.json").ToTestCase();
        yield return Document("over plain http", "http://notes.example/client.json").ToTestCase();
        yield return Document("without a path", "https://notes.example/").ToTestCase();
        yield return Document("with dot segments", "https://notes.example/a/../client.json").ToTestCase();
        yield return Document("with user information", "https://user:pass@notes.example/client.json").ToTestCase();
        yield return Document("of 2,000 characters", "https://notes.example/" + Filler(2_000) + ".json").ToTestCase();
        yield return Document("with markup in its path", "https://notes.example/%3Cscript%3Ealert(1)%3C/script%3E.json").ToTestCase();
        yield return TokenDocument("on a loopback address", "https://127.0.0.1:1/client.json").ToTestCase();
        yield return TokenDocument("over plain http", "http://notes.example/client.json").ToTestCase();

        const string Loopback = """{"redirect_uris":["http://127.0.0.1:7777/callback"]""";
        yield return Register("with an empty body", "", 400, Metadata).ToTestCase();
        yield return Register("that is not JSON", "redirect_uris=http://127.0.0.1/cb", 400, Metadata).ToTestCase();
        yield return Register("as text/plain", Loopback + "}", 415, Metadata, "text/plain").ToTestCase();
        yield return Register("of 1 MB", Loopback + ",\"client_name\":\"" + Filler(1_000_000) + "\"}", 413, Metadata).ToTestCase();
        yield return Register("nested 200 levels deep", new string('[', 200) + new string(']', 200), 400, Metadata).ToTestCase();
        yield return Register("with redirect_uris twice", Loopback + ""","redirect_uris":["https://evil.example/cb"]}""", 400, Metadata).ToTestCase();
        yield return Register("with an https redirect URI and no initial access token", """{"redirect_uris":["https://evil.example/cb"]}""", 400, Redirect).ToTestCase();
        yield return Register("with a plain http redirect URI on another host", """{"redirect_uris":["http://evil.example/cb"]}""", 400, Redirect).ToTestCase();
        yield return Register("with a javascript: redirect URI", """{"redirect_uris":["javascript:alert(1)"]}""", 400, Redirect).ToTestCase();
        yield return Register("with 11 redirect URIs", """{"redirect_uris":[""" + string.Join(',', Enumerable.Range(0, 11).Select(i => $"\"http://127.0.0.1:{7000 + i}/cb\"")) + "]}", 400, Redirect).ToTestCase();
        yield return Register("choosing its own client secret", Loopback + ""","client_secret":"mine"}""", 400, Metadata).ToTestCase();
        yield return Register("asking for client credentials", Loopback + ""","grant_types":["client_credentials"]}""", 400, Metadata).ToTestCase();
        yield return Register("asking for token exchange", Loopback + ""","grant_types":["urn:ietf:params:oauth:grant-type:token-exchange"]}""", 400, Metadata).ToTestCase();
        yield return Register("with a control character in client_name", Loopback + ",\"client_name\":\"a\\u0000b\"}", 400, Metadata).ToTestCase();
        yield return Register("with a client_name of 10,000 characters", Loopback + ",\"client_name\":\"" + Filler(10_000) + "\"}", 400, Metadata).ToTestCase();
        yield return Register("with a forged initial access token", Loopback + "}", 401, ["invalid_token"], token: "forged-" + InitialAccessToken).ToTestCase();
        yield return Register("with markup as the initial access token", Loopback + "}", 401, ["invalid_token"], token: HostileAnswers.Markup).ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test]
    public async Task A_well_formed_loopback_registration_is_accepted_as_a_public_client()
    {
        var answer = await SendAsync(Raw(RegisterPath, """{"client_name":"Notes CLI","redirect_uris":["http://127.0.0.1:7777/callback"],"token_endpoint_auth_method":"client_secret_basic"}""", "application/json"), "registration");
        Assert.Multiple(() =>
        {
            Assert.That(answer.Status, Is.EqualTo(201), answer.Summary);
            Assert.That(answer.Json?["client_id"]?.GetValue<string>(), Does.StartWith("dyn_"), answer.Summary);
            Assert.That(answer.Json?["token_endpoint_auth_method"]?.GetValue<string>(), Is.EqualTo("none"), answer.Summary);
            Assert.That(answer.Body, Does.Not.Contain("client_secret\""), "a public client: no secret is issued");
        });
    }

    [Test]
    public async Task Discovery_names_the_registration_endpoint_and_metadata_document_support()
    {
        var discovery = await SendAsync(Get("/.well-known/oauth-authorization-server"), "discovery");
        Assert.Multiple(() =>
        {
            Assert.That(discovery.Json?["registration_endpoint"]?.GetValue<string>(), Is.EqualTo(new Uri(Host.BaseAddress, "connect/register").AbsoluteUri), discovery.Summary);
            Assert.That(discovery.Json?["client_id_metadata_document_supported"]?.GetValue<bool>(), Is.True, discovery.Summary);
        });
    }
}
