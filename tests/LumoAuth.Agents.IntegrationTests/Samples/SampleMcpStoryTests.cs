using System.Net;
using System.Net.Http.Headers;
using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.SampleAgent;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The sample agent's MCP part, with the official MCP C# SDK client, against the sample host, API and MCP server, all
/// on real sockets: Research Bot's own token (filtered tool list, a call, a step-up refusal), Research Bot acting for
/// Alice (the articles API sees the whole chain through the MCP server's exchange), and Alice's own app registered by
/// its client ID metadata document, served over https with a certificate from the host's development CA.
/// </summary>
public sealed class SampleMcpStoryTests
{
    [Test]
    public async Task The_sample_agent_uses_the_mcp_server_as_itself_for_alice_and_through_alices_own_app()
    {
        var endpoint = LibraryMcpHost.ReserveEndpoint();
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:Resources:0:Identifier"] = endpoint.AbsoluteUri,
            ["Sample:DevCertificateAuthority"] = "true",
        });
        await using var api = await SampleApiHost.StartAsync(server);
        await using var mcp = await SampleMcpHost.StartAsync(endpoint, server, api);
        using var output = new StringWriter();
        var settings = new DemoSettings
        {
            Host = server.BaseAddress, Api = api.BaseAddress, Mcp = endpoint, RedirectUri = new Uri(UserConsentFlow.RedirectUri),
            DevCertificateAuthority = Path.Combine(server.DataDirectory, "dev-ca.pfx"),
        };
        var demo = await McpDemo.RunAsync(settings, output, CancellationToken.None);
        var text = output.ToString();
        TestContext.Out.WriteLine(text);
        Assert.Multiple(() =>
        {
            Assert.That(demo.Steps.Where(s => !s.Passed).Select(s => s.Step), Is.Empty, text);
            Assert.That(demo.Steps, Has.Count.EqualTo(5));
            Assert.That(text, Does.Contain("tools/list: search_web  (read_article"));
            Assert.That(text, Does.Contain("error=\"insufficient_scope\""));
            Assert.That(text, Does.Contain("The articles API saw: Research MCP, used by Research Bot, acting for Alice"));
            Assert.That(text, Does.Contain("The articles API saw: Research MCP, acting for Alice"));
        });
    }

    [Test]
    public async Task A_token_meant_for_the_mcp_server_is_refused_by_the_articles_api_so_passthrough_cannot_work()
    {
        var endpoint = LibraryMcpHost.ReserveEndpoint();
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["LumoAgents:Resources:0:Identifier"] = endpoint.AbsoluteUri });
        await using var api = await SampleApiHost.StartAsync(server);
        using var http = server.Http();
        var token = await TokenEndpoint.PostAsync(http,
        [
            ("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", SampleAgentServerFixture.ResearchBotSecret),
            ("scope", "read:articles"), ("resource", endpoint.AbsoluteUri),
        ]);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());

        // What an MCP server that forwarded its caller's token would send the API.
        using var client = api.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "articles");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        using var response = await client.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "aud is the MCP server, not the API");
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_token"));
        });
    }
}
