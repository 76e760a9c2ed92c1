using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The README's AAuth walk-through as printed (<c>samples/aauth-curl/aauth-curl.sh</c>), with curl and openssl, against
/// the sample host and its seeded research-bot key.
/// </summary>
public class AAuthCurlScriptTests
{
    [TestCase(DatabaseKind.Sqlite)]
    [TestCase(DatabaseKind.PostgreSql)]
    public async Task The_READMEs_curl_and_openssl_steps_run_against_the_sample_host(DatabaseKind database)
    {
        await using var server = await SampleServer.StartAsync(database);
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "LumoAuth.Agents.sln")))
        {
            root = root.Parent;
        }

        Assert.That(root, Is.Not.Null, "the repository root");
        var script = Path.Combine(root!.FullName, "samples", "aauth-curl", "aauth-curl.sh");
        var start = new System.Diagnostics.ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["HOST"] = server.BaseAddress.AbsoluteUri.TrimEnd('/');
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);
        var text = await output + await errors;
        Assert.That(process.ExitCode, Is.Zero, text);
        Assert.That(text, Does.Contain("\"caller\":\"agent:research-bot\""));
        Assert.That(text, Does.Contain("Signature-Error: error=replayed"));
    }
}
