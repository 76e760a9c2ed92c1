using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Npgsql;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// Whatever goes wrong behind the OAuth endpoints, the client gets an OAuth error body: unreadable requests are
/// <c>invalid_request</c>, a database that stops answering is <c>temporarily_unavailable</c> with <c>Retry-After</c>,
/// and no stack trace, exception type or SQL ever leaves, in Development (whose error page would echo the
/// request's headers) and in Production alike.
/// </summary>
[TestFixture("Development")]
[TestFixture("Production")]
public class ErrorBoundaryTests(string environment)
{
    private LibraryServer _server = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await LibraryServer.StartAsync(new LibraryServerOptions { Environment = environment });
        _http = _server.Http();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static readonly string[] ProtocolPaths = ["/connect/token", "/t/acme-corp/api/v1/oauth/token", "/connect/introspect", "/t/acme-corp/api/v1/aauth/agent/token"];

    [TestCaseSource(nameof(ProtocolPaths))]
    public async Task Ten_thousand_form_values_are_an_invalid_request(string path)
    {
        var body = string.Join('&', Enumerable.Repeat("p=v", 10_000)); // 40 KB: over the count limit, under the size limit
        using var content = new StringContent("grant_type=client_credentials&" + body, Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request", "request_unreadable");
    }

    [TestCase("/connect/token", "client_id")]
    [TestCase("/connect/token", "scope")]
    [TestCase("/connect/token", "grant_type")]
    [TestCase("/connect/introspect", "token")]
    public async Task A_control_character_in_a_parameter_is_an_invalid_request(string path, string name)
    {
        var parameters = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "research-bot", ["client_secret"] = AgentServerFixture.ResearchBotSecret,
            ["token"] = "x", ["scope"] = "read:articles",
        };
        parameters[name] = "a\0b";
        using var content = new FormUrlEncodedContent(parameters);
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content);
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request", "request_unreadable");
        Assert.That(await NormalRequestAsync(_http), Is.EqualTo(HttpStatusCode.OK), "the server still serves");
    }

    [Test]
    public async Task A_control_character_in_the_query_of_the_authorization_endpoint_is_an_invalid_request()
    {
        using var browser = _server.Browser();
        using var response = await browser.GetAsync(new Uri("/connect/authorize?client_id=research-bot%00&response_type=code", UriKind.Relative));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request", "request_unreadable");
    }

    [Test]
    public async Task The_refusal_of_an_unreadable_request_is_audited()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials\u0001" });
        using var response = await _http.PostAsync(new Uri("/connect/token", UriKind.Relative), content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var records = await _server.AuditAsync(new LumoAuth.Agents.Audit.AuditQuery { ReasonCode = "request_unreadable", From = since });
        Assert.That(records, Is.Not.Empty);
    }

    [Test]
    public async Task Every_token_endpoint_answer_during_a_database_outage_is_an_oauth_error_and_service_resumes_after_it()
    {
        var dataDirectory = Scratch.Directory("outage-");
        var direct = new NpgsqlConnectionStringBuilder(await TestDatabases.CreateAsync(DatabaseKind.PostgreSql, dataDirectory));
        await using var relay = TcpRelay.Start(direct.Host!, direct.Port);
        var relayed = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Host = "127.0.0.1", Port = relay.Port, Timeout = 3, CommandTimeout = 5 };
        await using var server = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            Database = DatabaseKind.PostgreSql, Environment = environment, ConnectionString = relayed.ConnectionString,
        });
        using var http = server.Http();
        var alice = await UserConsentFlow.UserTokenAsync(server, "research-bot", AgentServerFixture.ResearchBotSecret, "read:articles");
        var actor = (await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret)).AccessToken;

        relay.Cut();
        var requests = new (string Name, IEnumerable<(string, string)> Form, string Path)[]
        {
            ("client credentials", [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", AgentServerFixture.ResearchBotSecret)], "/connect/token"),
            ("wrong secret", [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", "wrong-secret-0123456789")], "/connect/token"),
            ("bad scope", [("grant_type", "client_credentials"), ("client_id", "search-tool"), ("client_secret", AgentServerFixture.SearchToolSecret), ("scope", "admin:everything")], "/connect/token"),
            ("unknown client", [("grant_type", "client_credentials"), ("client_id", "nobody"), ("client_secret", "x")], "/connect/token"),
            ("exchange", TokenEndpoint.Exchange(alice, actor), TokenEndpoint.SeedPath),
            ("introspection", [("token", actor), ("client_id", "acme-corp-api"), ("client_secret", TestTenant.ApiSecret)], "/connect/introspect"),
        };
        foreach (var (name, form, path) in requests)
        {
            using var content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Item1, p.Item2)));
            using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
            var body = await AssertNoLeakAsync(response, name);
            var json = JsonNode.Parse(body)!.AsObject();

            // Whether the answer needed the store or only the audit trail (a client kept from an earlier request), the
            // database is down either way: nothing is issued or answered, and the client is told to retry.
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), $"{name}: {body}");
            Assert.That((string?)json["error"], Is.EqualTo("temporarily_unavailable"), $"{name}: {body}");
            Assert.That(json.ContainsKey("access_token"), Is.False, name);
            Assert.That(response.Headers.RetryAfter, Is.Not.Null, $"{name}: retrying helps, so say when");
        }

        relay.Restore();
        var stopwatch = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            status = await NormalRequestAsync(http);
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "service resumes once the database answers again");
        TestContext.Progress.WriteLine($"[{environment}] token service resumed {stopwatch.ElapsedMilliseconds} ms after the database came back");
    }

    private static async Task<HttpStatusCode> NormalRequestAsync(HttpClient http) =>
        (await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret)).Status;

    private static async Task AssertOAuthErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error, string code)
    {
        var body = await AssertNoLeakAsync(response, response.RequestMessage?.RequestUri?.AbsolutePath ?? string.Empty);
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), body);
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.That((string?)json["error"], Is.EqualTo(error), body);
        Assert.That((string?)json["error_code"], Is.EqualTo(code), body);
        Assert.That((string?)json["error_description"], Is.Not.Null.And.Not.Empty, body);
        Assert.That((string?)json["error_uri"], Does.EndWith("#" + code), body);
    }

    private static async Task<string> AssertNoLeakAsync(HttpResponseMessage response, string what)
    {
        var body = await NoLeak.InAsync(response);
        Assert.That(body, Is.Not.Empty, $"{what}: an error has a body");
        return body;
    }
}
