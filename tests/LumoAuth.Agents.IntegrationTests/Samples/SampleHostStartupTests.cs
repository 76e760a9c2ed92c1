using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Npgsql;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// Starting the sample host: instances racing on one empty PostgreSQL database take turns creating it, and a host
/// whose database cannot be reached stops with exit code 1 and its reason instead of staying up serving nothing.
/// </summary>
public sealed class SampleHostStartupTests
{
    [Test]
    public async Task Two_hosts_started_at_once_on_one_empty_PostgreSQL_database_both_serve_and_the_schema_is_created_once()
    {
        var connectionString = await TestDatabases.CreateAsync(DatabaseKind.PostgreSql, Scratch.Directory("race-"));
        using var start = new Barrier(2);
        var starts = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait(); // both begin with the database still missing
            return SampleServer.StartAsync(DatabaseKind.PostgreSql, connectionString: connectionString);
        })).ToArray();

        SampleServer[] servers = [];
        try
        {
            servers = await Task.WhenAll(starts).WaitAsync(TimeSpan.FromMinutes(3));
            foreach (var server in servers)
            {
                using var http = server.Http();
                using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
                Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), server.BaseAddress.ToString());

                // A real request through the store: the seeded agent gets its token from either instance.
                var token = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", SampleAgentServerFixture.ResearchBotSecret);
                Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
            }

            await using var db = new NpgsqlConnection(connectionString);
            await db.OpenAsync();
            Assert.Multiple(async () =>
            {
                Assert.That(await ScalarAsync(db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'OpenIddictApplications'"), Is.EqualTo(1));
                Assert.That(await ScalarAsync(db, "SELECT count(*) FROM \"AspNetUsers\" WHERE \"UserName\" = 'alice'"), Is.EqualTo(1), "alice seeded once");
                Assert.That(await ScalarAsync(db, "SELECT count(*) FROM \"OpenIddictApplications\" WHERE \"ClientId\" = 'research-bot'"), Is.EqualTo(1), "research-bot seeded once");
            });
        }
        finally
        {
            foreach (var server in servers)
            {
                server.Dispose();
            }

            foreach (var pending in starts.Where(s => s.IsCompletedSuccessfully))
            {
                if (!servers.Contains(pending.Result))
                {
                    pending.Result.Dispose();
                }
            }
        }
    }

    [Test]
    public async Task A_host_whose_database_refuses_connections_exits_1_with_a_one_line_reason()
    {
        var closedPort = ClosedPort();
        var (exitCode, output, errors) = await RunHostAsync(
            "--urls", "http://127.0.0.1:0",
            "--Database:Provider=PostgreSQL",
            $"--ConnectionStrings:Default=Host=127.0.0.1;Port={closedPort};Username=lumo;Database=unreachable;Timeout=5",
            "--Sample:DataDirectory=" + Scratch.Directory("unreachable-"));
        Assert.That(exitCode, Is.EqualTo(1), output + errors);
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Length.EqualTo(1), errors);
        Assert.That(lines[0], Does.StartWith("The sample host could not start: ").And.Contain($"127.0.0.1:{closedPort}"));
        Assert.That(output, Does.Not.Contain("Now listening on"), "it never served");
    }

    [Test]
    public async Task A_host_started_in_process_whose_database_refuses_connections_throws_at_once()
    {
        var connectionString = $"Host=127.0.0.1;Port={ClosedPort()};Username=lumo;Database=unreachable;Timeout=5";
        var started = Stopwatch.StartNew();
        var failure = await Assert.CatchAsync(async () => (await SampleServer.StartAsync(DatabaseKind.PostgreSql, connectionString: connectionString)).Dispose());
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
        var causes = new List<Exception>();
        for (var cause = failure; cause is not null; cause = cause.InnerException)
        {
            causes.Add(cause);
        }

        Assert.That(causes, Has.Some.InstanceOf<NpgsqlException>(), failure!.ToString());
    }

    /// <summary>Runs the built sample host as its own process and waits, with a deadline, for it to exit.</summary>
    internal static async Task<(int ExitCode, string Output, string Errors)> RunHostAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Scratch.Directory("host-cwd-") };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LumoAuth.Agents.SampleHost.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the host neither served nor exited within 90 s: " + await output + await errors);
        }

        return (process.ExitCode, await output, await errors);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // free again once the listener stops: connections are refused
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
