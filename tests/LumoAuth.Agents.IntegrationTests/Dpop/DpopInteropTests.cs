using System.Diagnostics;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Dpop;

/// <summary>
/// Interoperability: a DPoP client not written here (npm's oauth4webapi, run by Node.js) discovers the sample host, gets a
/// bound token by client credentials with DPoP, and calls the sample API with it; the same token replayed as a bearer
/// token is refused. The README's test command installs the client's one dependency (<c>npm ci</c>).
/// </summary>
public sealed class DpopInteropTests
{
    private static readonly string ClientDirectory = Path.Combine(Repository.Root, "tests", "interop", "dpop-client");

    [Test]
    public async Task A_dpop_client_written_elsewhere_gets_a_bound_token_and_calls_the_api()
    {
        if (!File.Exists(Path.Combine(ClientDirectory, "node_modules", "oauth4webapi", "package.json")))
        {
            var reason = $"The interop client's dependency is not installed: run 'npm ci' in {ClientDirectory} (the README's test command does).";
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(reason);
            }

            Assert.Ignore(reason);
        }

        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite);
        await using var api = await SampleApiHost.StartAsync(server);
        var start = new ProcessStartInfo("node") { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "client.mjs", server.BaseAddress.AbsoluteUri, "research-bot", SampleAgentServerFixture.ResearchBotSecret, new Uri(api.BaseAddress, "articles").AbsoluteUri })
        {
            start.ArgumentList.Add(argument);
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await node.WaitForExitAsync(deadline.Token);
        Assert.That(node.ExitCode, Is.Zero, await errors);
        var result = JsonNode.Parse((await output).Trim().Split('\n')[^1])!;
        TestContext.Out.WriteLine(result.ToJsonString());
        Assert.Multiple(() =>
        {
            Assert.That(result["token_type"]!.GetValue<string>(), Is.EqualTo("dpop").IgnoreCase, "RFC 9449 §5");
            Assert.That(result["jkt"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty, "bound to the client's key");
            Assert.That(result["status"]!.GetValue<int>(), Is.EqualTo(200), "the API accepts the DPoP request oauth4webapi made");
            Assert.That(result["caller"]!.ToString(), Is.EqualTo("Research Bot"));
            Assert.That(result["bearer_replay_status"]!.GetValue<int>(), Is.EqualTo(401), "the same token as a bearer token");
        });
    }
}
