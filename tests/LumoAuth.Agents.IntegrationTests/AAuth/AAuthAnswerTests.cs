using System.Net;
using System.Text;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LumoAuth.Agents.IntegrationTests.AAuth;

/// <summary>
/// The AAuth endpoint's answers beyond the refusal code, written by the same rules as the OAuth endpoints: a spent
/// budget says when to retry, and an answer whose audit record cannot be written never leaves.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public class AAuthAnswerTests(DatabaseKind database) : AAuthFixture(database)
{
    [Test]
    public async Task A_spent_budget_answers_429_with_the_seconds_until_the_budget_window_resets()
    {
        using var key = Ed25519SignatureKey.Generate();
        await RegisterAsync("aauth-spent", ["read:articles"], ["test-api"], key, budget: new BudgetPolicy { MaxApiCallsPerHour = 1 });
        await Server.WithServiceAsync<BudgetConsumption, IBudgetLedger>(l =>
            l.ConsumeAsync("aauth-spent", BudgetMetric.ApiCallsPerHour, 1, 1, DateTimeOffset.UtcNow, null, default).AsTask());
        var token = await AgentTokenAsync("aauth-spent", key);

        var (status, body, response) = await SendAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(token, ResourceToken("agent:aauth-spent", key.Thumbprint!)), key, token));

        Assert.Multiple(() =>
        {
            Assert.That((int)status, Is.EqualTo(429), body.ToJsonString());
            Assert.That((string?)body["error_code"], Is.EqualTo("budget_exhausted"));
            Assert.That(response.Headers.RetryAfter?.Delta, Is.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)), "the hourly window resets within the hour");
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        });
    }

    [Test]
    public async Task No_answer_leaves_when_its_audit_record_cannot_be_written_and_a_store_that_is_not_answering_says_when_to_retry()
    {
        await using var server = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            Database = Database,
            ConfigureServices = services => services.Replace(ServiceDescriptor.Scoped<IAuditStore, UnreachableAuditStore>()),
        });
        using var http = server.Http();
        using var content = new StringContent("{\"request_type\":\"agent\"}", Encoding.UTF8, "text/plain");

        using var response = await http.PostAsync(new Uri(server.BaseAddress, LibraryServer.AAuthTokenPath.TrimStart('/')), content);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body.ToJsonString());
            Assert.That((string?)body["error"], Is.EqualTo("temporarily_unavailable"));
            Assert.That((string?)body["error_code"], Is.EqualTo("audit_unavailable"), "the refusal the request earned was not recorded, so it is not sent");
            Assert.That((string?)body["error_uri"], Does.EndWith("/errors#audit_unavailable"));
            Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(5)));
        });
    }

    private sealed class UnreachableAuditStore : IAuditStore
    {
        public ValueTask WriteAsync(AuditRecord record, CancellationToken cancellationToken) => throw new TimeoutException("audit database not answering");

        public ValueTask<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => throw new TimeoutException("audit database not answering");

        public ValueTask<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken) => throw new TimeoutException("audit database not answering");
    }
}
