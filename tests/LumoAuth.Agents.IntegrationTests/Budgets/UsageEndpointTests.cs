using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Admin;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Budgets;

/// <summary>Usage reports from an LLM gateway through the whole server, and the budgets they spend.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class UsageEndpointTests(DatabaseKind database) : AgentServerFixture(database)
{
    private string _gatewayToken = null!;

    [OneTimeSetUp]
    public async Task GetGatewayTokenAsync()
    {
        _gatewayToken = (await TokenEndpoint.ClientCredentialsAsync(Client, "llm-gateway", TestTenant.LlmGatewaySecret, "agents:usage")).AccessToken;
        await RegisterAsync("metered-bot", ["search:web"], budget: new BudgetPolicy { MaxApiCallsPerHour = 5, MaxTokensPerDay = 1000 });
    }

    private async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> ReportAsync(string agent, object? body, string? key, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/t/acme-corp/api/v1/agents/{agent}/usage", UriKind.Relative));
        var bearer = token ?? _gatewayToken;
        if (bearer.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        request.Content = body is null ? null : JsonContent.Create(body);
        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!.AsObject(), response);
    }

    private static string Key() => Guid.NewGuid().ToString("N");

    [Test]
    public async Task A_report_is_counted_once_per_idempotency_key()
    {
        var key = Key();
        var first = await ReportAsync("research-bot", new { metric = "llm_tokens", amount = 1500 }, key);
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.Body.ToJsonString());
        Assert.That((bool)first.Body["counted"]!, Is.True);
        var used = (long)first.Body["used"]!;

        var again = await ReportAsync("research-bot", new { metric = "llm_tokens", amount = 1500 }, key);
        Assert.That((bool)again.Body["counted"]!, Is.False);
        Assert.That((long)again.Body["used"]!, Is.EqualTo(used));
        Assert.That((long)again.Body["limit"]!, Is.EqualTo(200_000));
    }

    [Test]
    public async Task The_same_key_sent_ten_times_in_parallel_counts_once()
    {
        var key = Key();
        var before = (long)(await ReportAsync("search-tool", new { metric = "llm_tokens", amount = 1 }, Key())).Body["used"]!;
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ReportAsync("search-tool", new { metric = "llm_tokens", amount = 700 }, key)));
        Assert.That(results.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(results.Count(r => (bool)r.Body["counted"]!), Is.EqualTo(1));
        var after = (long)(await ReportAsync("search-tool", new { metric = "llm_tokens", amount = 1 }, Key())).Body["used"]!;
        Assert.That(after - before, Is.EqualTo(701));
    }

    [Test]
    public async Task API_calls_stop_at_the_limit_and_spent_tokens_stop_new_tokens()
    {
        var accepted = 0;
        for (var i = 0; i < 8; i++)
        {
            var call = await ReportAsync("metered-bot", new { metric = "api_calls", amount = 1 }, Key());
            if (call.Status == HttpStatusCode.OK)
            {
                accepted++;
            }
            else
            {
                Assert.That((int)call.Status, Is.EqualTo(429), call.Body.ToJsonString());
                Assert.That(call.Response.Headers.RetryAfter?.Delta, Is.Not.Null);
                Assert.That((string?)call.Body["type"], Does.EndWith("#budget_exhausted"));
            }
        }

        Assert.That(accepted, Is.EqualTo(5));
        await AssertRefusedAsync(() => TokenEndpoint.ClientCredentialsAsync(Client, "metered-bot", TestSecret), "temporarily_unavailable", "budget_exhausted");
    }

    [Test]
    public async Task Reported_LLM_tokens_past_the_limit_are_counted_and_stop_new_tokens()
    {
        await RegisterAsync("chatty-bot", ["search:web"], budget: new BudgetPolicy { MaxTokensPerDay = 1000 });
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "chatty-bot", TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        var report = await ReportAsync("chatty-bot", new { metric = "llm_tokens", amount = 1200 }, Key());
        Assert.That((long)report.Body["used"]!, Is.EqualTo(1200), "usage that happened is a fact");
        await AssertRefusedAsync(() => TokenEndpoint.ClientCredentialsAsync(Client, "chatty-bot", TestSecret), "temporarily_unavailable", "budget_exhausted");
    }

    [Test]
    public async Task A_key_reused_for_another_metric_is_refused_and_counts_nothing()
    {
        var key = Key();
        Assert.That((await ReportAsync("research-bot", new { metric = "llm_tokens", amount = 10 }, key)).Status, Is.EqualTo(HttpStatusCode.OK));
        var reused = await ReportAsync("research-bot", new { metric = "cost", amount = 5 }, key);
        Assert.That((int)reused.Status, Is.EqualTo(422), reused.Body.ToJsonString());
        Assert.That((string?)reused.Body["type"], Does.EndWith("#idempotency_key_reused"));
    }

    [Test]
    public async Task Without_a_token_the_reporter_is_asked_to_authenticate()
    {
        var response = await ReportAsync("research-bot", new { metric = "llm_tokens", amount = 1 }, Key(), token: "");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
    }

    [Test]
    public async Task A_token_without_the_usage_scope_is_forbidden_and_audited()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var agentToken = await AgentTokenAsync("research-bot");
        var response = await ReportAsync("research-bot", new { metric = "llm_tokens", amount = 1 }, Key(), agentToken);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Response.Headers.WwwAuthenticate.ToString(), Does.Contain("insufficient_scope"));
        Assert.That(await Server.AuditAsync(new AuditQuery { ReasonCode = "insufficient_scope", From = since }), Is.Not.Empty);
    }

    [Test]
    public async Task A_bad_report_names_every_bad_field_as_an_RFC_9457_problem_and_counts_nothing()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await ReportAsync("research-bot", new { metric = "tokens", amount = -3 }, key: null);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var errors = response.Body["errors"]!.AsObject();
        Assert.That(errors.Select(e => e.Key), Is.EquivalentTo(new[] { "Idempotency-Key", "metric", "amount" }));
        Assert.That(await Server.AuditAsync(new AuditQuery { ReasonCode = "usage_report_invalid", From = since }), Is.Not.Empty);
    }

    [Test]
    public async Task A_fractional_token_count_is_refused()
    {
        var response = await ReportAsync("research-bot", new { metric = "llm_tokens", amount = 1.5 }, Key());
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Body["errors"]!["amount"], Is.Not.Null);
    }

    [Test]
    public async Task A_report_for_an_unknown_agent_is_not_found()
    {
        var response = await ReportAsync("ghost-bot", new { metric = "llm_tokens", amount = 1 }, Key());
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((string?)response.Body["detail"], Does.Contain("ghost-bot"));
    }

    private async Task<(HttpResponseMessage Response, JsonNode? Body)> SendRawAsync(string path, HttpContent? content, string? key, bool header = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = content };
        if (header)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _gatewayToken);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<long> UsedAsync(string agent) =>
        (long)(await ReportAsync(agent, new { metric = "llm_tokens", amount = 1 }, Key())).Body["used"]! - 1;

    [Test]
    public async Task Malformed_or_mistyped_reports_are_problems_and_count_nothing()
    {
        const string Path = "/t/acme-corp/api/v1/agents/search-tool/usage";
        var before = await UsedAsync("search-tool");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        var malformed = await SendRawAsync(Path, new StringContent("{\"metric\":\"llm_tokens\",", System.Text.Encoding.UTF8, "application/json"), Key());
        ApiProblemAssert.IsProblem(malformed.Response, malformed.Body, 400, "body_malformed");

        var text = await SendRawAsync(Path, new StringContent("{\"metric\":\"llm_tokens\",\"amount\":5}", System.Text.Encoding.UTF8, "text/plain"), Key());
        ApiProblemAssert.IsProblem(text.Response, text.Body, 415, "content_type_unsupported");

        var typed = await SendRawAsync(Path, new StringContent("{\"metric\":7,\"amount\":\"ten\"}", System.Text.Encoding.UTF8, "application/json"), Key());
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(typed.Response, typed.Body, 400, "usage_report_invalid")), Is.EquivalentTo(new[] { "metric", "amount" }));

        var control = await SendRawAsync(Path, new StringContent("{\"metric\":\"llm_tokens\\u0000\",\"amount\":5}", System.Text.Encoding.UTF8, "application/json"), "key\u0001");
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(control.Response, control.Body, 400, "usage_report_invalid")), Does.Contain("metric"));

        var huge = await SendRawAsync(Path, new StringContent("{\"metric\":\"" + new string('x', 100_000) + "\"}", System.Text.Encoding.UTF8, "application/json"), Key());
        ApiProblemAssert.IsProblem(huge.Response, huge.Body, 413, "body_too_large");

        Assert.That(await UsedAsync("search-tool"), Is.EqualTo(before + 1), "only the probe counted");
        Assert.That(await Server.AuditAsync(new AuditQuery { ReasonCode = "body_malformed", From = since }), Is.Not.Empty, "bad input is audited");
    }

    [Test]
    public async Task An_access_token_in_the_query_is_refused_and_counts_nothing()
    {
        var before = await UsedAsync("search-tool");
        var query = await SendRawAsync($"/t/acme-corp/api/v1/agents/search-tool/usage?access_token={_gatewayToken}",
            JsonContent.Create(new { metric = "llm_tokens", amount = 50 }), Key());
        ApiProblemAssert.IsProblem(query.Response, query.Body, 400, "access_token_not_in_header");
        Assert.That(await UsedAsync("search-tool"), Is.EqualTo(before + 1), "only the probe counted");
    }

    [Test]
    public async Task Cost_is_reported_back_in_currency_units_with_the_names_of_the_budget_status()
    {
        await RegisterAsync("costly-bot", ["search:web"], budget: new BudgetPolicy { MaxCostPerMonth = 10m });
        var report = await ReportAsync("costly-bot", new { metric = "cost", amount = 1.25m }, Key());
        Assert.That(report.Status, Is.EqualTo(HttpStatusCode.OK), report.Body.ToJsonString());
        Assert.That((decimal)report.Body["used"]!, Is.EqualTo(1.25m), "not ten-thousandths");
        Assert.That((decimal)report.Body["limit"]!, Is.EqualTo(10m));
        Assert.That((string?)report.Body["unit"], Is.EqualTo("currency"));
        Assert.That((string?)report.Body["window"], Is.EqualTo("month"));
    }
}
