using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Admin;

/// <summary>
/// Audit flooding: callers without a valid token are rate limited per IP and their refusals aggregated, so they
/// cannot grow the audit trail at will; an authenticated caller is not limited and its refusals stay one record each.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public class AnonymousCallerLimitTests(DatabaseKind database) : AgentServerFixture(database)
{
    internal const int Limit = 5;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["LumoAgents:Api:AnonymousPermitLimit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LumoAgents:Api:AnonymousWindow"] = "00:00:03",
    };

    private async Task<(HttpResponseMessage Response, JsonNode? Body)> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private Task<IReadOnlyList<AuditRecord>> ApiRefusalsAsync(DateTimeOffset since) =>
        Server.AuditAsync(new AuditQuery { Outcome = AuditOutcome.Refused, From = since, Take = 500 })
            .ContinueWith(t => (IReadOnlyList<AuditRecord>)t.Result.Where(r => r.GrantType.StartsWith("api:", StringComparison.Ordinal)).ToList(), TaskScheduler.Default);

    [Test]
    public async Task Many_anonymous_refusals_trip_the_limit_and_leave_a_bounded_audit_trail()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var clock = Stopwatch.StartNew();
        var paths = new[] { "/t/acme-corp/api/v1/agents", "/t/acme-corp/api/v1/audit", "/t/acme-corp/api/v1/agents/research-bot" };
        var statuses = new List<int>();
        const int Calls = 60;
        for (var i = 0; i < Calls; i++)
        {
            var (response, body) = await GetAsync(paths[i % paths.Length], i % 2 == 0 ? null : "forged-" + i);
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                ApiProblemAssert.IsProblem(response, body, 429, "rate_limited");
                Assert.That(response.Headers.RetryAfter?.Delta, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(Window + TimeSpan.FromSeconds(1)));
            }
            else
            {
                Assert.That((int)response.StatusCode, Is.EqualTo(401));
            }
        }

        var elapsed = clock.Elapsed;
        Assert.That(statuses.Take(Limit), Is.All.EqualTo(401), "the first refusals of a window are answered normally");
        Assert.That(statuses.Count(s => s == 429), Is.GreaterThanOrEqualTo(Calls - Limit * (int)Math.Ceiling(elapsed / Window + 1)), "the limit trips");

        // Per window at most one record of its own plus one summary: nowhere near one per request.
        var windows = (int)Math.Ceiling(elapsed / Window) + 1;
        var records = await ApiRefusalsAsync(since);
        Assert.That(records.Count(r => r.ReasonCode != "refusals_aggregated"), Is.LessThanOrEqualTo(windows), string.Join("\n", records.Select(r => r.ReasonCode)));

        // The summary is written when the window ends.
        var deadline = DateTime.UtcNow + Window * 5;
        List<AuditRecord> summaries = [];
        while (DateTime.UtcNow < deadline && summaries.Count == 0)
        {
            summaries = (await ApiRefusalsAsync(since)).Where(r => r.ReasonCode == "refusals_aggregated").ToList();
            if (summaries.Count == 0)
            {
                using var health = await Client.GetAsync(new Uri("/health", UriKind.Relative));
            }
        }

        Assert.That(summaries, Is.Not.Empty, "later refusals are counted into a summary record");
        Assert.That(summaries[0].Description, Does.Contain("rate limited").And.Contain("127.0.0.1"));
        var counted = summaries.Sum(s => int.Parse(s.Description!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        var individual = (await ApiRefusalsAsync(since)).Count(r => r.ReasonCode != "refusals_aggregated");
        Assert.That(counted + individual, Is.LessThanOrEqualTo(Calls).And.GreaterThanOrEqualTo(Calls - Limit), "every refusal is accounted for, once");
        Assert.That((await ApiRefusalsAsync(since)).Count, Is.LessThanOrEqualTo(2 * windows + 2));
    }
}

/// <summary>An authenticated caller from an address the limit has tripped for (its own server, so the limit's state is its own).</summary>
[TestFixture(DatabaseKind.Sqlite)]
public class AuthenticatedCallerLimitTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const int Limit = AnonymousCallerLimitTests.Limit;

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["LumoAgents:Api:AnonymousPermitLimit"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["LumoAgents:Api:AnonymousWindow"] = "00:01:00",
    };

    private async Task<HttpStatusCode> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await Client.SendAsync(request);
        return response.StatusCode;
    }

    [Test]
    public async Task An_authenticated_caller_is_not_limited_and_each_of_its_refusals_is_recorded()
    {
        for (var i = 0; i < Limit * 2; i++)
        {
            await GetAsync("/t/acme-corp/api/v1/agents", null);
        }

        Assert.That(await GetAsync("/t/acme-corp/api/v1/agents", null), Is.EqualTo(HttpStatusCode.TooManyRequests), "the address is limited");

        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var admin = (await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin")).AccessToken;
        Assert.That(await GetAsync("/t/acme-corp/api/v1/agents", admin), Is.EqualTo(HttpStatusCode.OK), "a valid token is served from a limited address");

        var agent = await AgentTokenAsync("research-bot");
        for (var i = 0; i < Limit + 2; i++)
        {
            Assert.That(await GetAsync("/t/acme-corp/api/v1/agents", agent), Is.EqualTo(HttpStatusCode.Forbidden));
        }

        var records = await Server.AuditAsync(new AuditQuery { ReasonCode = "insufficient_scope", From = since });
        Assert.That(records.Count(r => r.GrantType.StartsWith("api:", StringComparison.Ordinal)), Is.EqualTo(Limit + 2));
    }
}
