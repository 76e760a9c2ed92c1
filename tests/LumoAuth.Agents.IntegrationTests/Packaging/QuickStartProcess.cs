using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LumoAuth.Agents.IntegrationTests.Packaging;

/// <summary>
/// The built quick-start server running as its own process on a free loopback port, in Development (as
/// <c>dotnet run</c> starts it), with its output captured so a start that fails says why.
/// </summary>
internal sealed class QuickStartProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private QuickStartProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's origin, ending in a slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Everything the process wrote so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="assembly"/> from its project folder (where its SQLite file goes) with
    /// <paramref name="settings"/> as environment variables, and waits until it serves its discovery document.
    /// </summary>
    public static async Task<QuickStartProcess> StartAsync(string assembly, string workingDirectory, IReadOnlyDictionary<string, string> settings, TimeSpan deadline)
    {
        var origin = new Uri($"http://127.0.0.1:{FreePort()}/");
        var start = DotnetCommand.StartInfo(workingDirectory, [assembly, "--urls", origin.AbsoluteUri.TrimEnd('/')]);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new QuickStartProcess(process, origin);
        process.OutputDataReceived += (_, e) => server.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => server.Capture(e.Data);
        process.Exited += (_, _) => server._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilServingAsync(deadline);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client for the server.</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Ends the process with every child it started.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Ended between the check and the kill.
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Left to the system; the failure, if any, is already reported.
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (line.Contains("Now listening on:", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    /// <summary>
    /// Waits for the server's own "listening" line (or its exit), then polls discovery until it answers 200, all
    /// within <paramref name="deadline"/>.
    /// </summary>
    private async Task WaitUntilServingAsync(TimeSpan deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await Task.WhenAny(_listening.Task, _exited.Task).WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new AssertionException($"The quick-start server did not start listening within {deadline.TotalSeconds:0} s:\n{Output}");
        }

        using var http = CreateClient();
        http.Timeout = TimeSpan.FromSeconds(5);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new AssertionException($"The quick-start server exited with code {_process.ExitCode} before it served:\n{Output}");
            }

            if (stopwatch.Elapsed > deadline)
            {
                throw new AssertionException($"The quick-start server did not serve its discovery document within {deadline.TotalSeconds:0} s:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(".well-known/openid-configuration", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not accepting yet: each poll is a real request, so the loop is paced by its own cost.
            }
            catch (TaskCanceledException)
            {
                // A poll timed out: poll again until the deadline.
            }
        }
    }
}
