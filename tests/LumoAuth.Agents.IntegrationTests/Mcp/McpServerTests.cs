using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using ModelContextProtocol;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.IntegrationTests.Mcp;

/// <summary>
/// An MCP server protected by the pack, called with the official MCP C# SDK client over real HTTP: the tool list is
/// filtered per caller, an allowed call runs and sees the chain, a call the caller may not make is refused the MCP way,
/// a missing scope is a step-up challenge, a token for another resource is refused, and tool calls spend the agent's
/// budget.
/// </summary>
public sealed class McpServerTests
{
    private Uri _endpoint = null!;
    private LibraryServer _server = null!;
    private LibraryMcpHost _mcp = null!;
    private HttpClient _tokens = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _endpoint = LibraryMcpHost.ReserveEndpoint();
        _server = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:Resources:0:Identifier"] = _endpoint.AbsoluteUri,
            ["LumoAgents:Resources:0:Name"] = "Test MCP server",
        });
        _tokens = _server.Http();
        await RegisterAsync("mcp-bot", ["search:web", "read:articles"], new BudgetPolicy());
        await RegisterAsync("thrifty-bot", ["search:web"], new BudgetPolicy { MaxApiCallsPerHour = 2 });
        await CreateUsersAppAsync();
        _mcp = await LibraryMcpHost.StartAsync(_server, _endpoint);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _tokens.Dispose();
        await _mcp.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task A_request_without_a_token_is_pointed_at_the_resource_metadata()
    {
        using var client = new HttpClient();
        using var response = await client.PostAsync(_endpoint, Initialize());
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(),
                Is.EqualTo($"Bearer resource_metadata=\"http://127.0.0.1:{_endpoint.Port}/.well-known/oauth-protected-resource/mcp\""));
        });
    }

    [Test]
    public async Task The_tool_list_shows_only_the_tools_the_caller_may_call()
    {
        await using var client = await ConnectAsync(await TokenAsync("mcp-bot", "search:web read:articles"));
        var tools = await client.ListToolsAsync();
        Assert.That(tools.Select(t => t.Name), Is.EqualTo(new[] { "search_web" }),
            "read_notes needs an agent acting for a user and run_code a capability mcp-bot lacks");
    }

    [Test]
    public async Task An_allowed_call_runs_and_sees_the_caller()
    {
        await using var client = await ConnectAsync(await TokenAsync("mcp-bot", "search:web"));
        var result = await client.CallToolAsync("search_web", new Dictionary<string, object?> { ["query"] = "agents" });
        Assert.Multiple(() =>
        {
            Assert.That(result.IsError, Is.Not.True, Text(result));
            Assert.That(Text(result), Is.EqualTo("results for 'agents'; caller: MCP Bot"), "the chain in words, as the resource sees it");
        });
    }

    [Test]
    public async Task A_call_a_new_token_cannot_mend_is_refused_with_a_json_rpc_error()
    {
        await using var client = await ConnectAsync(await TokenAsync("mcp-bot", "search:web read:articles"));
        var refusal = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("read_notes").AsTask());
        Assert.That(refusal!.ErrorCode, Is.EqualTo(McpErrorCode.InvalidRequest));
    }

    [Test]
    public async Task A_call_needing_a_scope_the_token_lacks_is_a_step_up_challenge_naming_it()
    {
        var token = await TokenAsync("mcp-bot", "search:web");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = Call("run_code", """{"code":"1+1"}""") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(challenge, Does.StartWith("Bearer error=\"insufficient_scope\""));
            Assert.That(challenge, Does.Contain("scope=\"tool:execute_code\""));
            Assert.That(challenge, Does.Contain($"resource_metadata=\"http://127.0.0.1:{_endpoint.Port}/.well-known/oauth-protected-resource/mcp\""));
        });

        // The SDK client without OAuth sees the same refusal as an HTTP error.
        await using var client = await ConnectAsync(token);
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.CallToolAsync("run_code", new Dictionary<string, object?> { ["code"] = "1+1" }).AsTask());
        Assert.That(failure!.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_token_for_another_resource_is_refused()
    {
        // The default audience: a token for the API, which this MCP server must not take.
        var other = await TokenAsync("mcp-bot", "search:web", resource: null);
        var failure = await Assert.ThrowsAsync<HttpRequestException>(async () => await ConnectAsync(other));
        Assert.That(failure!.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Tool_calls_spend_the_agents_budget_and_a_call_past_it_does_not_run()
    {
        await using var client = await ConnectAsync(await TokenAsync("thrifty-bot", "search:web"));
        var answers = new List<CallToolResult>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await client.CallToolAsync("search_web", new Dictionary<string, object?> { ["query"] = "q" + i }));
        }

        Assert.Multiple(() =>
        {
            Assert.That(answers.Take(2).Select(a => a.IsError is true), Is.All.False);
            Assert.That(answers[2].IsError, Is.True);
            Assert.That(answers[2].StructuredContent?.GetProperty("error_code").GetString(), Is.EqualTo("budget_exhausted"));
            Assert.That(Text(answers[2]), Does.Not.Contain("results for"));
        });
    }

    [Test]
    public async Task A_users_mcp_client_finds_the_token_server_from_the_first_401_and_logs_in_with_code_pkce_and_resource()
    {
        // The SDK's own OAuth support, knowing nothing but the MCP server's address: RFC 9728 metadata from the 401,
        // RFC 8414 metadata of the token server, then the authorization code flow with PKCE and resource. The browser
        // step is the library host's authorization endpoint, which signs Alice in at once.
        var authorizations = new List<Uri>();
        using var browser = _server.Browser();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = _endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            OAuth = new ClientOAuthOptions
            {
                ClientId = UsersApp,
                RedirectUri = new Uri(UserConsentFlow.RedirectUri),
                AuthorizationCallbackHandler = async (context, cancellationToken) =>
                {
                    authorizations.Add(context.AuthorizationUri);
                    using var response = await browser.GetAsync(context.AuthorizationUri, cancellationToken);
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync(cancellationToken));
                    var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
                    return new AuthorizationResult { Code = query["code"], State = query["state"], Iss = query["iss"] };
                },
            },
        });
        await using var client = await McpClient.CreateAsync(transport);
        var result = await client.CallToolAsync("search_web", new Dictionary<string, object?> { ["query"] = "mcp" });

        var asked = QueryHelpers.ParseQuery(authorizations.Single().Query);
        Assert.Multiple(() =>
        {
            Assert.That(authorizations.Single().GetLeftPart(UriPartial.Path), Is.EqualTo(new Uri(_server.BaseAddress, "connect/authorize").AbsoluteUri));
            Assert.That(asked["resource"].ToString(), Is.EqualTo(_endpoint.AbsoluteUri), "RFC 8707: the token is asked for this MCP server");
            Assert.That(asked["code_challenge_method"].ToString(), Is.EqualTo("S256"));
            Assert.That(asked["scope"].ToString(), Does.Contain("search:web"), "from the resource's scopes_supported");
            Assert.That(result.IsError, Is.Not.True);
            Assert.That(Text(result), Is.EqualTo("results for 'mcp'; caller: Alice"), "a user's own app: the user is the caller, no agent in the chain");
        });
    }

    private const string UsersApp = "mcp-notes-app";

    /// <summary>A user's own MCP client, registered in advance (public, PKCE, allowed this MCP server as resource).</summary>
    private Task<bool> CreateUsersAppAsync() => _server.WithServiceAsync<bool, IOpenIddictApplicationManager>(async applications =>
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = UsersApp, ClientType = OpenIddictConstants.ClientTypes.Public, DisplayName = "Notes",
        };
        descriptor.RedirectUris.Add(new Uri(UserConsentFlow.RedirectUri));
        descriptor.Permissions.UnionWith(
        [
            OpenIddictConstants.Permissions.Endpoints.Authorization, OpenIddictConstants.Permissions.Endpoints.Token,
            OpenIddictConstants.Permissions.GrantTypes.AuthorizationCode, OpenIddictConstants.Permissions.GrantTypes.RefreshToken,
            OpenIddictConstants.Permissions.ResponseTypes.Code, OpenIddictConstants.Permissions.Prefixes.Scope + "search:web",
            OpenIddictConstants.Permissions.Prefixes.Scope + "offline_access",
            OpenIddictConstants.Permissions.Prefixes.Resource + _endpoint.AbsoluteUri,
        ]);
        descriptor.Requirements.Add(OpenIddictConstants.Requirements.Features.ProofKeyForCodeExchange);
        await applications.CreateAsync(descriptor);
        return true;
    });

    private async Task<string> TokenAsync(string agentId, string scope, string? resource = "")
    {
        var parameters = new List<(string, string)> { ("grant_type", "client_credentials"), ("client_id", agentId), ("client_secret", AgentServerFixture.TestSecret), ("scope", scope) };
        if (resource is not null)
        {
            parameters.Add(("resource", _endpoint.AbsoluteUri));
        }

        var response = await TokenEndpoint.PostAsync(_tokens, parameters);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        return response.AccessToken;
    }

    private Task<McpClient> ConnectAsync(string token) => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = _endpoint,
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
    }));

    private async Task RegisterAsync(string id, string[] capabilities, BudgetPolicy budget)
    {
        var result = await _server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = id, DisplayName = id, Owner = "tests", Capabilities = capabilities, DefaultScopes = [capabilities[0]],
            AllowedTools = [_endpoint.AbsoluteUri], ClientSecret = AgentServerFixture.TestSecret, Budget = budget,
        }).AsTask());
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
    }

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private static StringContent Initialize() => new(
        """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""",
        Encoding.UTF8, "application/json");

    private static StringContent Call(string tool, string arguments) => new(
        """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":""" + "\"" + tool + "\",\"arguments\":" + arguments + "}}", Encoding.UTF8, "application/json");
}
