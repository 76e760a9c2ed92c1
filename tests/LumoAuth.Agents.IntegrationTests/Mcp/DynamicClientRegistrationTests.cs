using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;

namespace LumoAuth.Agents.IntegrationTests.Mcp;

/// <summary>
/// RFC 7591 dynamic registration, off by default: turned on, anonymous requests may register loopback redirect URIs
/// only, an initial access token allows https ones, every refusal is an RFC 7591 error that is audited and registers
/// nothing, and the official MCP SDK registers itself and logs in the user.
/// </summary>
public sealed class DynamicClientRegistrationTests
{
    private const string InitialAccessToken = "iat-for-the-tests-0123456789abcdef0123456789";
    private Uri _endpoint = null!;
    private LibraryServer _server = null!;
    private LibraryMcpHost _mcp = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _endpoint = LibraryMcpHost.ReserveEndpoint();
        _server = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:Resources:0:Identifier"] = _endpoint.AbsoluteUri,
            ["LumoAgents:Resources:0:Name"] = "Test MCP server",
            ["LumoAgents:Resources:0:Scopes:0"] = "search:web",
            ["LumoAgents:ClientRegistration:Dynamic:Enabled"] = "true",
            ["LumoAgents:ClientRegistration:Dynamic:InitialAccessTokens:0"] = InitialAccessToken,
        });
        _mcp = await LibraryMcpHost.StartAsync(_server, _endpoint);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _mcp.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Discovery_names_the_registration_endpoint_once_it_is_on()
    {
        using var http = _server.Http();
        using var metadata = JsonDocument.Parse(await http.GetStringAsync(new Uri(".well-known/oauth-authorization-server", UriKind.Relative)));
        Assert.That(metadata.RootElement.GetProperty("registration_endpoint").GetString(), Is.EqualTo(new Uri(_server.BaseAddress, "connect/register").AbsoluteUri));
    }

    [Test]
    public async Task The_endpoint_is_not_found_while_registration_is_off()
    {
        using var off = await LibraryServer.StartAsync(DatabaseKind.Sqlite);
        using var http = off.Http();
        using var response = await http.PostAsync(new Uri("/connect/register", UriKind.Relative), Json(Loopback()));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task An_anonymous_loopback_client_is_registered_and_gets_a_token_for_the_user()
    {
        var (status, body) = await RegisterAsync(Loopback());
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
        var clientId = body["client_id"]!.GetValue<string>();
        Assert.Multiple(() =>
        {
            Assert.That(clientId, Does.StartWith("dyn_"));
            Assert.That(body["token_endpoint_auth_method"]!.GetValue<string>(), Is.EqualTo("none"));
            Assert.That(body.ContainsKey("client_secret"), Is.False, "a public client: PKCE, no secret");
            Assert.That(body["scope"]!.GetValue<string>(), Is.EqualTo("search:web"), "the scopes it asked for, among those allowed");
        });

        using var browser = _server.Browser();
        const string verifier = "verifier-for-dynamic-registration-tests-0123456789";
        var query = QueryString.Create(new Dictionary<string, string?>
        {
            ["client_id"] = clientId, ["response_type"] = "code", ["redirect_uri"] = "http://127.0.0.1:7777/callback", ["scope"] = "search:web",
            ["code_challenge"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))), ["code_challenge_method"] = "S256",
            ["state"] = "s", ["resource"] = _endpoint.AbsoluteUri,
        });
        using var authorize = await browser.GetAsync(new Uri("/connect/authorize" + query, UriKind.Relative));
        Assert.That(authorize.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await authorize.Content.ReadAsStringAsync());
        var code = QueryHelpers.ParseQuery(authorize.Headers.Location!.Query)["code"].ToString();
        var token = await TokenEndpoint.PostAsync(browser,
        [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "http://127.0.0.1:7777/callback"),
            ("client_id", clientId), ("code_verifier", verifier),
        ]);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        Assert.That(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token.AccessToken).Subject,
            Is.EqualTo(Subjects.SubjectIdentifier.ForUser(TestTenant.DefaultUser)));
    }

    [Test]
    public async Task The_official_sdk_registers_itself_and_calls_a_tool_as_the_user()
    {
        using var browser = _server.Browser();
        DynamicClientRegistrationResponse? registered = null;
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = _endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            OAuth = new ClientOAuthOptions
            {
                RedirectUri = new Uri("http://127.0.0.1:7778/callback"),
                DynamicClientRegistration = new DynamicClientRegistrationOptions
                {
                    ClientName = "Notes (registered)",
                    ResponseDelegate = (response, _) => { registered = response; return Task.CompletedTask; },
                },
                AuthorizationCallbackHandler = async (context, cancellationToken) =>
                {
                    using var response = await browser.GetAsync(context.AuthorizationUri, cancellationToken);
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync(cancellationToken));
                    var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
                    return new AuthorizationResult { Code = query["code"], State = query["state"], Iss = query["iss"] };
                },
            },
        });
        await using var client = await McpClient.CreateAsync(transport);
        var result = await client.CallToolAsync("search_web", new Dictionary<string, object?> { ["query"] = "dcr" });
        Assert.Multiple(() =>
        {
            Assert.That(registered?.ClientId, Does.StartWith("dyn_"));
            Assert.That(result.IsError, Is.Not.True);
            Assert.That(string.Concat(result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text)), Is.EqualTo("results for 'dcr'; caller: Alice"));
        });
    }

    [Test]
    public async Task A_registration_asking_for_a_shared_secret_gets_a_public_client_and_is_told_so()
    {
        var (status, body) = await RegisterAsync(new JsonObject
        {
            ["redirect_uris"] = new JsonArray("http://127.0.0.1:7779/callback"), ["token_endpoint_auth_method"] = "client_secret_post",
        });
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
            Assert.That(body["token_endpoint_auth_method"]!.GetValue<string>(), Is.EqualTo("none"), "RFC 7591 §3.2.1: the value replaced is answered");
            Assert.That(body.ContainsKey("client_secret"), Is.False);
        });
    }

    [Test]
    public async Task An_initial_access_token_allows_an_https_redirect_uri()
    {
        var (status, body) = await RegisterAsync(new JsonObject { ["redirect_uris"] = new JsonArray("https://notes.example/callback") }, InitialAccessToken);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
    }

    [Test]
    public async Task Without_an_initial_access_token_an_https_redirect_uri_is_refused()
    {
        await AssertRefusedAsync(new JsonObject { ["redirect_uris"] = new JsonArray("https://notes.example/callback") }, null,
            HttpStatusCode.BadRequest, "invalid_redirect_uri", "only loopback redirect URIs");
    }

    [Test]
    public async Task A_wrong_initial_access_token_is_refused()
    {
        await AssertRefusedAsync(Loopback(), "not-the-token", HttpStatusCode.Unauthorized, "invalid_token", "not valid");
    }

    [TestCase("""{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"private_key_jwt"}""", "invalid_client_metadata", "only token_endpoint_auth_method", TestName = "Registration with key-based authentication is refused")]
    [TestCase("""{"redirect_uris":["http://127.0.0.1/cb"],"client_secret":"mine"}""", "invalid_client_metadata", "client secret", TestName = "Registration choosing its own secret is refused")]
    [TestCase("""{"redirect_uris":["http://127.0.0.1/cb"],"grant_types":["client_credentials"]}""", "invalid_client_metadata", "grant_types", TestName = "Registration of another grant is refused")]
    [TestCase("""{"redirect_uris":["javascript:alert(1)"]}""", "invalid_redirect_uri", "Each redirect URI", TestName = "Registration of a javascript redirect URI is refused")]
    [TestCase("""{"redirect_uris":[]}""", "invalid_redirect_uri", "redirect_uris", TestName = "Registration without redirect URIs is refused")]
    [TestCase("""{"redirect_uris":["http://127.0.0.1/cb#x"]}""", "invalid_redirect_uri", "without fragment", TestName = "Registration of a redirect URI with a fragment is refused")]
    [TestCase("""[1,2]""", "invalid_client_metadata", "not a JSON object", TestName = "Registration that is not an object is refused")]
    [TestCase("""{"redirect_uris":""", "invalid_client_metadata", "not valid JSON", TestName = "Registration that is not JSON is refused")]
    public async Task Bad_metadata_is_refused(string json, string error, string reason)
    {
        await AssertRefusedAsync(json, null, HttpStatusCode.BadRequest, error, reason);
    }

    [Test]
    public async Task A_registration_that_is_not_json_content_is_refused()
    {
        using var http = _server.Http();
        using var response = await http.PostAsync(new Uri("/connect/register", UriKind.Relative), new FormUrlEncodedContent([KeyValuePair.Create("redirect_uris", "x")]));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task An_oversized_registration_is_refused()
    {
        var json = "{\"redirect_uris\":[\"http://127.0.0.1/cb\"],\"client_name\":\"" + new string('a', 20_000) + "\"}";
        await AssertRefusedAsync(json, null, HttpStatusCode.RequestEntityTooLarge, "invalid_client_metadata", "at most");
    }

    private async Task AssertRefusedAsync(object request, string? token, HttpStatusCode expected, string error, string reason)
    {
        var before = await ApplicationCountAsync();
        var (status, body) = await RegisterAsync(request, token);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(expected), body.ToJsonString());
            Assert.That(body["error"]?.GetValue<string>(), Is.EqualTo(error));
            Assert.That(body["error_description"]?.GetValue<string>(), Does.Contain(reason));
        });
        Assert.That(await ApplicationCountAsync(), Is.EqualTo(before), "nothing is registered");
        var audited = await _server.AuditAsync(new Audit.AuditQuery { ReasonCode = "client_registration_refused", Take = 500 });
        Assert.That(audited.Any(r => r.Error == error && r.Description!.Contains(reason, StringComparison.Ordinal)), Is.True, "the refusal is audited");
    }

    private Task<long> ApplicationCountAsync() =>
        _server.WithServiceAsync<long, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(apps => apps.CountAsync().AsTask());

    private async Task<(HttpStatusCode Status, JsonObject Body)> RegisterAsync(object request, string? token = null)
    {
        using var http = _server.Http();
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri("/connect/register", UriKind.Relative)) { Content = Json(request) };
        if (token is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(text, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace or type name");
        return (response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }

    private static JsonObject Loopback() => new()
    {
        ["client_name"] = "Notes CLI", ["redirect_uris"] = new JsonArray("http://127.0.0.1:7777/callback"), ["scope"] = "search:web",
        ["grant_types"] = new JsonArray("authorization_code", "refresh_token"), ["token_endpoint_auth_method"] = "none",
    };

    private static StringContent Json(object request) =>
        new(request as string ?? ((JsonNode)request).ToJsonString(), Encoding.UTF8, "application/json");
}

/// <summary>The per-IP limit of dynamic registration, on its own host so the other tests' registrations do not count.</summary>
public sealed class DynamicClientRegistrationLimitTests
{
    [Test]
    public async Task Registrations_past_the_hourly_limit_of_one_address_are_refused_with_retry_after()
    {
        using var server = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:ClientRegistration:Dynamic:Enabled"] = "true",
            ["LumoAgents:ClientRegistration:Dynamic:RegistrationsPerHourPerIp"] = "2",
        });
        using var http = server.Http();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last?.Dispose();
            last = await http.PostAsync(new Uri("/connect/register", UriKind.Relative),
                new StringContent("""{"redirect_uris":["http://127.0.0.1/cb"]}""", Encoding.UTF8, "application/json"));
            statuses.Add(last.StatusCode);
        }

        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests }));
            Assert.That(last!.Headers.RetryAfter, Is.Not.Null);
        });
        last!.Dispose();
    }
}
