using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Faults;

/// <summary>
/// Two sample host processes on one PostgreSQL server of the tests' own, under client-credentials load, while the
/// database stops and restarts, while both start at the same moment on an empty database, and while one of them is
/// killed. Tokens are only ever issued with their audit record, and every answer a client gets is an OAuth answer.
/// </summary>
[TestFixture, Category("Faults"), NonParallelizable]
public sealed class PostgresFaultTests
{
    private const int ClientsPerInstance = 3;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private ThrowawayPostgres? _postgres;

    [OneTimeSetUp]
    public async Task StartPostgresAsync()
    {
        if (ThrowawayPostgres.FindBin() is not { } bin)
        {
            const string Reason = "PostgreSQL (pg_ctl) is not installed: the fault tests need a PostgreSQL 15 server of their own.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(Reason);
            }

            Assert.Ignore(Reason);
            return;
        }

        _postgres = await ThrowawayPostgres.StartAsync(bin);
    }

    [OneTimeTearDown]
    public async Task StopPostgresAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    private ThrowawayPostgres Postgres => _postgres ?? throw new InvalidOperationException("PostgreSQL did not start.");

    private static string NewDatabase(string purpose) => $"lumo_{purpose}_{Guid.NewGuid():N}"[..24];

    private string[] On(string database) => ["--Database:Provider=PostgreSQL", $"--ConnectionStrings:Default={Postgres.ConnectionString(database)}"];

    [Test]
    public async Task A_database_outage_under_load_answers_only_OAuth_errors_and_never_issues_a_token_without_its_audit_record()
    {
        var database = NewDatabase("outage");
        var data = Directory.CreateTempSubdirectory("lumo-faults-data-").FullName;
        try
        {
            await using var a = await SampleHostProcess.StartAsync("instance-a", data, On(database));
            await using var b = await SampleHostProcess.StartAsync("instance-b", data, On(database));
            await using var load = new TokenLoad();
            load.Start(a, ClientsPerInstance);
            load.Start(b, ClientsPerInstance);
            await load.WaitUntilAsync(r => Issued(r, "instance-a") >= 20 && Issued(r, "instance-b") >= 20, Deadline, "20 tokens from each instance before the outage");

            var stopped = load.Now;
            await Postgres.StopFastAsync();
            var down = load.Now;
            await load.WaitUntilAsync(r => r.Count(x => x.Started > down && x.Instance == "instance-a") >= 20 && r.Count(x => x.Started > down && x.Instance == "instance-b") >= 20,
                Deadline, "20 answers from each instance while the database is down");

            var restarted = load.Now;
            await Postgres.StartAgainAsync();
            var up = load.Now;
            await load.WaitUntilAsync(r => FirstIssuedAfter(r, "instance-a", up) is not null && FirstIssuedAfter(r, "instance-b", up) is not null, Deadline, "a token from each instance after the restart");
            foreach (var instance in new[] { "instance-a", "instance-b" })
            {
                var first = FirstIssuedAfter(load.Results, instance, up)!;
                TestContext.Progress.WriteLine($"database outage: {instance} issued again {(first.Ended - up).TotalSeconds:0.000} s after PostgreSQL accepted connections again " +
                    $"({(first.Ended - restarted).TotalSeconds:0.000} s after the restart began; outage {(up - stopped).TotalSeconds:0.0} s)");
            }

            await load.WaitUntilAsync(r => r.Count(x => x.Started > up && x.Status == 200) >= 40, Deadline, "40 tokens after the recovery");
            await load.DisposeAsync();

            var results = load.Results;
            var answersDuringOutage = results.Where(r => r.Started > down && r.Ended < restarted).ToList();
            TestContext.Progress.WriteLine($"database outage: {results.Count} requests, {results.Count(r => r.Status == 200)} tokens; during the outage: " +
                string.Join(", ", answersDuringOutage.GroupBy(r => $"{r.Status} {r.Answer?.Json?["error"]}").Select(g => $"{g.Count()}× {g.Key}")));

            using (Assert.EnterMultipleScope())
            {
                Assert.That(results.Where(r => r.Status == 0).Select(r => $"{r.Instance}: {r.Failure}").Distinct().Take(5), Is.Empty, "every request gets an HTTP answer");
                foreach (var refused in results.Where(r => r.Status is not (0 or 200)).GroupBy(r => r.Answer!.Summary).Select(g => g.First()))
                {
                    AssertOutageAnswer(refused.Answer!);
                }

                await AssertEveryTokenHasOneAuditRecordAsync(database, results);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Test]
    public async Task Two_instances_started_at_the_same_moment_on_an_empty_database_both_come_up_and_serve()
    {
        var database = NewDatabase("race");
        await using var a = SampleHostProcess.Launch("instance-a", null, On(database));
        await using var b = SampleHostProcess.Launch("instance-b", null, On(database));
        var started = await Task.WhenAll(Ready(a), Ready(b));
        Assert.That(started.Where(s => s is not null), Is.Empty, "both instances serve");

        foreach (var host in new[] { a, b })
        {
            using var http = host.CreateClient();
            using var content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"),
                KeyValuePair.Create("client_id", Tenant.SearchTool), KeyValuePair.Create("client_secret", Tenant.SearchToolSecret)]);
            using var response = await http.PostAsync(new Uri(Tenant.TokenPath, UriKind.Relative), content);
            var answer = await Answer.ReadAsync(response);
            Assert.That(answer.Status, Is.EqualTo(200), $"{host.Name} issues tokens: {answer.Summary}");
        }

        static async Task<string?> Ready(SampleHostProcess host)
        {
            try
            {
                await host.WaitUntilHealthyAsync(Deadline);
                return null;
            }
            catch (AssertionException e)
            {
                return e.Message;
            }
        }
    }

    [Test]
    public async Task When_one_instance_is_killed_under_load_the_other_keeps_serving_and_every_token_has_its_audit_record()
    {
        var database = NewDatabase("kill");
        var data = Directory.CreateTempSubdirectory("lumo-faults-data-").FullName;
        try
        {
            await using var a = await SampleHostProcess.StartAsync("instance-a", data, On(database));
            await using var b = await SampleHostProcess.StartAsync("instance-b", data, On(database));
            await using var load = new TokenLoad();
            load.Start(a, ClientsPerInstance);
            load.Start(b, ClientsPerInstance);
            await load.WaitUntilAsync(r => Issued(r, "instance-a") >= 30 && Issued(r, "instance-b") >= 30, Deadline, "30 tokens from each instance");

            var killed = load.Now;
            await a.KillAsync();
            await load.StopAsync("instance-a");
            await load.WaitUntilAsync(r => r.Count(x => x.Instance == "instance-b" && x.Started > killed && x.Status == 200) >= 50, Deadline, "50 tokens from instance-b after the kill");
            await load.DisposeAsync();

            var results = load.Results;
            TestContext.Progress.WriteLine($"kill -9: instance-a issued {Issued(results, "instance-a")} tokens before it was killed, instance-b {Issued(results, "instance-b")} in all.");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(a.ExitCodeOrNull(), Is.Not.Null, "instance-a is dead");
                Assert.That(results.Where(r => r.Instance == "instance-b" && r.Status != 200).Select(r => $"{r.Status} {r.Failure ?? r.Answer?.Summary}").Take(5), Is.Empty,
                    "instance-b answers every request while and after instance-a dies");
                Assert.That(results.Where(r => r.Instance == "instance-a" && r.Ended < killed && r.Status != 200).Select(r => $"{r.Status} {r.Failure ?? r.Answer?.Summary}").Take(5), Is.Empty,
                    "instance-a answered every request before it was killed");
                await AssertEveryTokenHasOneAuditRecordAsync(database, results);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static int Issued(IReadOnlyList<LoadResult> results, string instance) => results.Count(r => r.Instance == instance && r.Status == 200);

    private static LoadResult? FirstIssuedAfter(IReadOnlyList<LoadResult> results, string instance, TimeSpan after) =>
        results.Where(r => r.Instance == instance && r.Status == 200 && r.Started >= after).MinBy(r => r.Ended);

    /// <summary>An answer while the database is down: an OAuth error body saying so, with no exception text.</summary>
    private static void AssertOutageAnswer(Answer answer)
    {
        HostileAnswers.AssertOAuthError(answer, ["temporarily_unavailable", "server_error"]);
        Assert.That(answer.Status, Is.EqualTo(503).Or.EqualTo(500), $"an outage is the server's, not the client's: {answer.Summary}");
        if (answer.Json?["error"]?.GetValue<string>() == "temporarily_unavailable")
        {
            Assert.That(answer.Header("Retry-After"), Is.Not.Null, $"temporarily_unavailable says when to retry: {answer.Summary}");
        }

        HostileAnswers.AssertNoLeak(answer, Tenant.Secrets);
    }

    private async Task AssertEveryTokenHasOneAuditRecordAsync(string database, IReadOnlyList<LoadResult> results)
    {
        var issued = results.Where(r => r.TokenId is not null).Select(r => r.TokenId!).ToList();
        var records = await Postgres.AuditRecordsByTokenIdAsync(database);
        var missing = issued.Where(id => !records.ContainsKey(id)).ToList();
        var doubled = issued.Where(id => records.TryGetValue(id, out var count) && count > 1).ToList();
        TestContext.Progress.WriteLine($"audit: {issued.Count} tokens seen by clients, {missing.Count} without an audit record, {doubled.Count} with more than one.");
        Assert.That(issued, Is.Not.Empty, "tokens were issued");
        Assert.That(missing, Is.Empty, "every token a client received has its audit record");
        Assert.That(doubled, Is.Empty, "and only one");
    }
}
