using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Builder;

namespace LumoAuth.Agents.IntegrationTests.ResourceServer;

/// <summary>
/// RFC 9728 at a resource protected by the resource-server package: the metadata document from the same options that
/// validate tokens, a <c>resource_metadata</c> pointer in every 401 and 403, the step-up <c>scope</c> in a 403, and a token
/// whose <c>aud</c> is the resource identifier (RFC 8707) accepted.
/// </summary>
public sealed class ProtectedResourceMetadataTests
{
    private const string Resource = "https://mcp.acme-corp.example/mcp";
    private const string MetadataAddress = "https://mcp.acme-corp.example/.well-known/oauth-protected-resource/mcp";

    private LibraryServer _server = null!;
    private LibraryApiHost _api = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["LumoAgents:Resources:0:Identifier"] = Resource });
        var registered = await _server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "mcp-client-bot", DisplayName = "MCP client bot", Owner = "tests", Capabilities = ["read:articles", "search:web"],
            DefaultScopes = ["search:web"], AllowedTools = [Resource], ClientSecret = AgentServerFixture.TestSecret,
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True);
        _api = await LibraryApiHost.StartAsync(_server, bearer: options =>
        {
            options.Resource = new Uri(Resource);
            options.ResourceName = "Research MCP server";
            options.ScopesSupported.Add("search:web");
            options.ScopesSupported.Add("read:articles");
        }, map: app => app.MapLumoAgentsProtectedResourceMetadata());
        _client = _api.Http();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _api.DisposeAsync();
        await _server.DisposeAsync();
    }

    [TestCase("/.well-known/oauth-protected-resource/mcp")]
    [TestCase("/.well-known/oauth-protected-resource")]
    public async Task The_metadata_names_the_resource_its_token_server_and_its_scopes(string path)
    {
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        var document = JsonNode.Parse(body)!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            Assert.That((string?)document["resource"], Is.EqualTo(Resource));
            Assert.That(TokenEndpoint.Compact(document["authorization_servers"]), Is.EqualTo($"[\"{_server.BaseAddress.AbsoluteUri}\"]"));
            Assert.That(TokenEndpoint.Compact(document["bearer_methods_supported"]), Is.EqualTo("""["header"]"""));
            Assert.That(TokenEndpoint.Compact(document["scopes_supported"]), Is.EqualTo("""["search:web","read:articles"]"""));
            Assert.That((string?)document["resource_name"], Is.EqualTo("Research MCP server"));
        });
    }

    [Test]
    public async Task A_request_without_a_token_is_told_where_the_metadata_is()
    {
        using var response = await _client.GetAsync(new Uri("/articles", UriKind.Relative));
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo($"Bearer resource_metadata=\"{MetadataAddress}\""));
        });
    }

    [Test]
    public async Task A_refused_token_is_told_where_the_metadata_is_beside_the_error()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/articles") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "a.b.c") } };
        using var response = await _client.SendAsync(request);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(challenge, Does.StartWith($"Bearer resource_metadata=\"{MetadataAddress}\", error=\"invalid_token\", error_description=\""));
        });
    }

    [Test]
    public async Task A_token_for_the_resource_identifier_is_accepted_and_a_missing_capability_names_the_scope_to_step_up_to()
    {
        var token = await TokenEndpoint.PostAsync(_server.Http(),
            [("grant_type", "client_credentials"), ("client_id", "mcp-client-bot"), ("client_secret", AgentServerFixture.TestSecret), ("resource", Resource), ("scope", "search:web")]);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        Assert.That((string?)TokenEndpoint.Payload(token.AccessToken)["aud"], Is.EqualTo(Resource));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/articles") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken) } };
        using var response = await _client.SendAsync(request);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "authenticated by its audience, refused for its scope");
            Assert.That(challenge, Does.StartWith("Bearer error=\"insufficient_scope\""));
            Assert.That(challenge, Does.Contain("scope=\"read:articles\""));
            Assert.That(challenge, Does.EndWith($"resource_metadata=\"{MetadataAddress}\""));
        });
    }

    [TestCase("https://mcp.acme-corp.example/mcp?tenant=a", "query")]
    [TestCase("https://mcp.acme-corp.example/mcp#part", "fragment")]
    [TestCase("http://mcp.acme-corp.example/mcp", "HTTPS")]
    public void A_resource_identifier_clients_could_not_match_is_refused_at_start(string resource, string named)
    {
        var options = new LumoAgentsBearerOptions { Issuer = new Uri("https://login.acme-corp.example/"), Resource = new Uri(resource) };
        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.That(error!.Message, Does.Contain("LumoAgentsBearerOptions.Resource").And.Contain(named));
    }

    [Test]
    public void The_resource_identifier_alone_is_an_audience()
    {
        var options = new LumoAgentsBearerOptions { Issuer = new Uri("https://login.acme-corp.example/"), Resource = new Uri(Resource) };
        Assert.DoesNotThrow(options.Validate);
    }
}
