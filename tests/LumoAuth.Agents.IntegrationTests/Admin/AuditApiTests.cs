using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Admin;

/// <summary>The audit query API: who acted for whom, found by agent, user or any actor in the chain.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class AuditApiTests(DatabaseKind database) : AgentServerFixture(database)
{
    private string _admin = null!;

    [OneTimeSetUp]
    public async Task GetAdminTokenAsync() =>
        _admin = (await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin")).AccessToken;

    private async Task<(HttpStatusCode Status, JsonNode? Body)> QueryAsync(string query, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/t/acme-corp/api/v1/audit" + query, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? _admin);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, string.IsNullOrEmpty(text) ? null : JsonNode.Parse(text));
    }

    [Test]
    public async Task A_chain_is_found_by_any_of_its_actors_and_read_in_words()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        var hop1 = (await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"), "search:web", "search-tool")).AccessToken;
        var hop2 = await ExchangeAsync(hop1, await AgentTokenAsync("search-tool"));
        Assert.That(hop2.Status, Is.EqualTo(HttpStatusCode.OK));

        var byActor = await QueryAsync($"?actor=agent:research-bot&outcome=issued&from={Uri.EscapeDataString(since)}");
        Assert.That(byActor.Status, Is.EqualTo(HttpStatusCode.OK), byActor.Body?.ToJsonString());
        var chains = byActor.Body!["records"]!.AsArray().Select(r => (string?)r!["chain"]).ToList();
        Assert.That(chains, Does.Contain("Search Tool, used by Research Bot, acting for alice"));
        Assert.That(chains, Does.Contain("Research Bot, acting for alice"));

        var bySearchTool = await QueryAsync($"?actor=agent:search-tool&from={Uri.EscapeDataString(since)}");
        Assert.That(bySearchTool.Body!["records"]!.AsArray(), Has.Count.EqualTo(1), "research-bot's own hop does not name search-tool as an actor");
        var record = bySearchTool.Body!["records"]![0]!;
        Assert.That((string?)record["act"]!["act"]!["sub"], Is.EqualTo("agent:research-bot"));
        Assert.That((string?)record["token_id"], Is.EqualTo((string?)TokenEndpoint.Payload(hop2.AccessToken)["jti"]));
    }

    [Test]
    public async Task Refusals_are_found_by_user_outcome_and_reason()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("o", System.Globalization.CultureInfo.InvariantCulture);
        await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"), "delegate:user");
        var refused = await QueryAsync($"?subject=user:alice&outcome=refused&reason=scope_exceeds_subject&from={Uri.EscapeDataString(since)}");
        Assert.That(refused.Body!["records"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That((string?)refused.Body!["records"]![0]!["error"], Is.EqualTo("invalid_scope"));
    }

    [Test]
    public async Task Pages_do_not_overlap()
    {
        var first = await QueryAsync("?take=2");
        var second = await QueryAsync("?take=2&skip=2");
        var ids = first.Body!["records"]!.AsArray().Concat(second.Body!["records"]!.AsArray()).Select(r => (string?)r!["id"]).ToList();
        Assert.That(ids, Has.Count.EqualTo(4));
        Assert.That(ids, Is.Unique);
    }

    [Test]
    public async Task A_bad_query_names_every_bad_parameter()
    {
        var bad = await QueryAsync("?outcome=maybe&take=1000&from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z");
        Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bad.Body!["errors"]!.AsObject().Select(e => e.Key), Is.EquivalentTo(new[] { "outcome", "take", "to" }));
        Assert.That((string?)bad.Body!["error_code"], Is.EqualTo("query_invalid"));
    }

    [Test]
    public async Task Only_administrators_read_the_trail()
    {
        Assert.That((await QueryAsync("", await AgentTokenAsync("research-bot"))).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
