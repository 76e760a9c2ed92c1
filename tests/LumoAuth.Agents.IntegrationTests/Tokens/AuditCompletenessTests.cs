using System.Net;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>After a burst of concurrent requests, every issued token has exactly one audit record and so does every refusal.</summary>
public class AuditCompletenessTests
{
    [TestCase(DatabaseKind.Sqlite)]
    [TestCase(DatabaseKind.PostgreSql)]
    public async Task Every_issued_token_and_every_refusal_has_exactly_one_record(DatabaseKind database)
    {
        await using var server = await LibraryServer.StartAsync(database);
        using var http = server.Http();
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var responses = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => i % 3 == 0
            ? TokenEndpoint.ClientCredentialsAsync(http, "search-tool", AgentServerFixture.SearchToolSecret, "read:articles")
            : TokenEndpoint.ClientCredentialsAsync(http, "search-tool", AgentServerFixture.SearchToolSecret)));

        var issued = responses.Where(r => r.Status == HttpStatusCode.OK).Select(r => (string)TokenEndpoint.Payload(r.AccessToken)["jti"]!).ToList();
        var refused = responses.Count(r => r.Status != HttpStatusCode.OK);
        var records = await server.AuditAsync(new AuditQuery { AgentId = "search-tool", From = since, Take = 1000 });
        var issuedRecords = records.Where(r => r.Outcome == AuditOutcome.Issued).ToList();
        TestContext.Out.WriteLine($"audit completeness ({database}): {issued.Count} issued / {issuedRecords.Count} issuance records, {refused} refused / {records.Count(r => r.Outcome == AuditOutcome.Refused)} refusal records");

        Assert.That(issued, Has.Count.EqualTo(80));
        Assert.That(refused, Is.EqualTo(40));
        Assert.That(issuedRecords.Select(r => r.TokenId), Is.EquivalentTo(issued), "one record per token id, none missing, none doubled");
        Assert.That(records.Count(r => r.Outcome == AuditOutcome.Refused && r.ReasonCode == "scope_not_in_capabilities"), Is.EqualTo(40));
    }
}
