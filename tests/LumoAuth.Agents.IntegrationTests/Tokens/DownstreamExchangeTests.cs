using System.Net;
using LumoAuth.Agents.Client;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// No passthrough: an MCP server with an agent identity of its own receives Alice's token (used by an agent, meant for
/// the MCP server's resource) and exchanges it, as the actor, for a token for the API behind it. The API's token
/// carries the whole chain, and the client package does the exchange in one call, cached per incoming token.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public sealed class DownstreamExchangeTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const string Mcp = "https://mcp.acme-corp.example/mcp";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["LumoAgents:Resources:0:Identifier"] = Mcp,
        ["LumoAgents:Resources:0:Name"] = "Research MCP server",
        ["LumoAgents:Resources:0:Agent"] = "research-mcp",
    };

    [OneTimeSetUp]
    public async Task RegisterAsync()
    {
        await RegisterAsync("assistant-bot", ["search:web", "read:articles", "delegate:user"], canAct: true, tools: [Mcp, "research-mcp"]);
        await RegisterAsync("research-mcp", ["read:articles", "search:web"]);
    }

    [Test]
    public async Task The_mcp_server_exchanges_the_token_it_received_and_the_api_sees_the_whole_chain()
    {
        var incoming = await IncomingAsync();
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o =>
        {
            o.TokenEndpoint = new Uri(Server.BaseAddress, "connect/token");
            o.ClientId = "research-mcp";
            o.ClientSecret = TestSecret;
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<AgentTokenClient>();

        var downstream = await client.ExchangeForDownstreamAsync(incoming, TestTenant.DefaultAudience, "read:articles");
        var again = await client.ExchangeForDownstreamAsync(incoming, TestTenant.DefaultAudience, "read:articles");
        var payload = TokenEndpoint.Payload(downstream);
        Assert.Multiple(() =>
        {
            Assert.That((string?)payload["sub"], Is.EqualTo("user:alice"));
            Assert.That(TokenEndpoint.Compact(payload["act"]),
                Is.EqualTo("""{"sub":"agent:research-mcp","client_id":"research-mcp","act":{"sub":"agent:assistant-bot","client_id":"assistant-bot"}}"""));
            Assert.That((string?)payload["aud"], Is.EqualTo(TestTenant.DefaultAudience));
            Assert.That(again, Is.EqualTo(downstream), "cached per incoming token");
            Assert.That(client.TokenRequests, Is.EqualTo(2), "one agent token and one exchange");
        });
    }

    [Test]
    public async Task Another_agent_cannot_take_the_mcp_servers_token_one_hop_further()
    {
        var incoming = await IncomingAsync();
        await AssertRefusedAsync(async () => await ExchangeAsync(incoming, await AgentTokenAsync("search-tool"), "search:web"),
            "invalid_grant", "actor_not_allowed_tool");
    }

    /// <summary>Alice's token for assistant-bot, exchanged by it for a token meant for the MCP server (RFC 8707).</summary>
    private async Task<string> IncomingAsync()
    {
        var alice = await UserConsentFlow.UserTokenAsync(Server, "assistant-bot", TestSecret, "search:web read:articles");
        var response = await ExchangeAsync(alice, await AgentTokenAsync("assistant-bot"), "read:articles", null, ("resource", Mcp));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["aud"], Is.EqualTo(Mcp));
        return response.AccessToken;
    }
}
