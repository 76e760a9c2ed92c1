using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Budgets;

/// <summary>
/// Two token-server instances over one real PostgreSQL database, 64 concurrent clients metering API calls against
/// a limit: exactly the limit succeeds, whichever instance each client reaches.
/// </summary>
public class BudgetAcrossInstancesTests
{
    [TestCase(DatabaseKind.PostgreSql, 2)]
    [TestCase(DatabaseKind.Sqlite, 1)]
    public async Task Sixty_four_clients_over_the_instances_get_exactly_the_limit(DatabaseKind database, int instances)
    {
        const int limit = 25;
        await using var first = await LibraryServer.StartAsync(new LibraryServerOptions { Database = database, Issuer = new Uri("http://lumo-budget.test/") });
        var servers = new List<LibraryServer> { first };
        for (var i = 1; i < instances; i++)
        {
            servers.Add(await LibraryServer.StartAsync(new LibraryServerOptions { SharedWith = first }));
        }

        try
        {
            var registered = await first.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
            {
                Id = "metered-agent", DisplayName = "Metered", Owner = "load", Capabilities = ["search:web"], DefaultScopes = ["search:web"],
                ClientSecret = AgentServerFixture.TestSecret, Budget = new BudgetPolicy { MaxApiCallsPerHour = limit },
            }).AsTask());
            Assert.That(registered.Succeeded, Is.True);

            using var http = first.Http();
            var gateway = (await TokenEndpoint.ClientCredentialsAsync(http, "llm-gateway", TestTenant.LlmGatewaySecret, "agents:usage")).AccessToken;
            var clients = servers.Select(s => s.Http()).ToList();
            var statuses = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/t/acme-corp/api/v1/agents/metered-agent/usage", UriKind.Relative));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gateway);
                request.Headers.Add("Idempotency-Key", "call-" + i);
                request.Content = JsonContent.Create(new { metric = "api_calls", amount = 1 });
                using var response = await clients[i % clients.Count].SendAsync(request);
                return response.StatusCode;
            }));
            foreach (var client in clients)
            {
                client.Dispose();
            }

            var used = await first.WithServiceAsync<long, LumoAuth.Agents.Budgets.IBudgetLedger>(ledger =>
                ledger.ReadAsync("metered-agent", LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, DateTimeOffset.UtcNow, default).AsTask());
            TestContext.Out.WriteLine($"budget across instances ({database}, {instances} instance(s)): 64 clients, limit {limit}: " +
                $"{statuses.Count(s => s == HttpStatusCode.OK)} succeeded, {statuses.Count(s => (int)s == 429)} got 429, ledger reads {used}");
            Assert.That(statuses.Count(s => s == HttpStatusCode.OK), Is.EqualTo(limit));
            Assert.That(statuses.Count(s => (int)s == 429), Is.EqualTo(64 - limit));
            Assert.That(used, Is.EqualTo(limit));

            var refused = await TokenEndpoint.ClientCredentialsAsync(http, "metered-agent", AgentServerFixture.TestSecret);
            Assert.That(refused["error_code"], Is.EqualTo("budget_exhausted"), "the spent agent gets no new token");
        }
        finally
        {
            foreach (var server in servers.Skip(1))
            {
                await server.DisposeAsync();
            }
        }
    }
}
