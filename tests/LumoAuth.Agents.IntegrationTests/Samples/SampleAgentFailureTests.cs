using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The sample agent's expected failures end the same way: one line on standard error saying why, and exit code 1 —
/// never an unhandled exception with a stack trace (exit 134).
/// </summary>
public sealed class SampleAgentFailureTests
{
    [Test]
    public async Task The_agent_exits_1_with_one_line_when_the_host_refuses_connections()
    {
        var closed = ClosedPort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "LumoAuth.Agents.SampleAgent.dll"));
        foreach (var arg in new[] { "--host", $"http://127.0.0.1:{closed}/", "--api", $"http://127.0.0.1:{closed}/" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(deadline.Token);

        Assert.That(process.ExitCode, Is.EqualTo(1), await output + await errors);
        AssertOneLine(await errors, "could not reach", $"127.0.0.1:{closed}");
    }

    [TestCase(new[] { "--port", "6080" }, "Unknown option '--port'")]
    [TestCase(new[] { "--host" }, "--host needs a URL")]
    [TestCase(new[] { "--host", "not a url" }, "--host needs an absolute http(s) URL")]
    [TestCase(new[] { "--api", "ftp://127.0.0.1/" }, "--api needs an absolute http(s) URL")]
    public async Task A_bad_option_is_one_line_and_exit_1(string[] args, string reason)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exitCode = await LumoAuth.Agents.SampleAgent.Program.RunAsync(args, output, errors);
        Assert.That(exitCode, Is.EqualTo(1));
        AssertOneLine(errors.ToString(), reason);
    }

    [Test]
    public async Task A_consent_step_that_gives_no_code_is_one_line_and_exit_1()
    {
        using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite);
        await using var api = await SampleApiHost.StartAsync(server);
        using var output = new StringWriter();
        using var errors = new StringWriter();

        // A redirect URI research-bot never registered: the host refuses the authorization request.
        var exitCode = await LumoAuth.Agents.SampleAgent.Program.RunAsync(
            ["--host", server.BaseAddress.AbsoluteUri, "--api", api.BaseAddress.AbsoluteUri, "--redirect-uri", "http://127.0.0.1:1/not-registered"], output, errors);

        Assert.That(exitCode, Is.EqualTo(1), output.ToString() + errors);
        AssertOneLine(errors.ToString(), "the consent step gave no authorization code", "redirect_uri", "--redirect-uri");
        Assert.That(output.ToString(), Does.Contain("Pattern 3"), "the patterns before the consent step ran");
    }

    private static void AssertOneLine(string errors, params string[] contains)
    {
        var lines = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Length.EqualTo(1), errors);
        Assert.That(lines[0], Does.StartWith("sample agent: "));
        foreach (var text in contains)
        {
            Assert.That(lines[0], Does.Contain(text));
        }

        Assert.That(lines[0], Does.Not.Contain("Unhandled exception").And.Not.Match(@"\bat \w+\."), "no stack trace");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
