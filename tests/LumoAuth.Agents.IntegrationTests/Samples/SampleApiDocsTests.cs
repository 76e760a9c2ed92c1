using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>The sample describes the pack's APIs it maps in an OpenAPI document and lets you try them at <c>/api-docs</c>.</summary>
public class SampleApiDocsTests
{
    [TestCase(DatabaseKind.Sqlite)]
    [TestCase(DatabaseKind.PostgreSql)]
    public async Task The_APIs_are_described_by_an_OpenAPI_document_and_an_interactive_page(DatabaseKind database)
    {
        await using var server = await SampleServer.StartAsync(database);
        using var client = server.Http();
        var document = JsonNode.Parse(await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.That(paths, Is.SupersetOf(new[]
        {
            "/t/acme-corp/api/v1/agents", "/t/acme-corp/api/v1/agents/{id}", "/t/acme-corp/api/v1/agents/{id}/suspend",
            "/t/acme-corp/api/v1/agents/{agentId}/usage", "/t/acme-corp/api/v1/audit",
        }));
        using var page = await client.GetAsync(new Uri("/api-docs", UriKind.Relative));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("LumoAuth.Agents sample APIs"));
    }
}
