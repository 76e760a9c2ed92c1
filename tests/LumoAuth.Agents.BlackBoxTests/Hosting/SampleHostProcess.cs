using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace LumoAuth.Agents.BlackBoxTests.Hosting;

/// <summary>
/// The sample host started from its build output as an operating-system process of its own, in Production, on a
/// free loopback port and a fresh data folder. Its stdout and stderr are captured, so a host that does not start
/// fails with its own words, and so tests can check that what the host logs is not what its clients see.
/// </summary>
public sealed class SampleHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _ownsDataDirectory;

    private SampleHostProcess(Process process, Uri baseAddress, string dataDirectory, bool ownsDataDirectory, string name)
    {
        _process = process;
        BaseAddress = baseAddress;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Name = name;
    }

    /// <summary>The host's origin, ending in a slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The host's data folder (signing keys, SQLite database).</summary>
    public string DataDirectory { get; }

    /// <summary>A short name for messages.</summary>
    public string Name { get; }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
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

    /// <summary>The lines the process wrote so far.</summary>
    public IReadOnlyList<string> OutputLines
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>The built sample host, next to this repository's sources.</summary>
    public static string SampleHostAssembly => SampleAssembly("LumoAuth.Agents.SampleHost");

    /// <summary>The built sample program <paramref name="project"/> (a folder under <c>samples/</c>).</summary>
    public static string SampleAssembly(string project)
    {
        var configuration = typeof(SampleHostProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "SampleHostConfiguration")?.Value ?? "Debug";
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LumoAuth.Agents.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"No LumoAuth.Agents.sln above {TestContext.CurrentContext.TestDirectory}.");
        }

        var path = Path.Combine(directory.FullName, "samples", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"The sample program is not built: {path} is missing.");
    }

    /// <summary>
    /// Starts another sample program (the MCP server, say) in Production on <paramref name="port"/> with
    /// <paramref name="arguments"/>, and waits until it serves <c>/health</c>.
    /// </summary>
    public static async Task<SampleHostProcess> StartProgramAsync(string project, int port, params string[] arguments)
    {
        var origin = new Uri($"http://127.0.0.1:{port}/");
        var program = Start(SampleAssembly(project), origin, ["--urls", origin.AbsoluteUri.TrimEnd('/'), .. arguments], Path.GetTempPath(), ownsDataDirectory: false, project);
        try
        {
            await program.WaitUntilHealthyAsync(StartDeadline);
            return program;
        }
        catch
        {
            await program.DisposeAsync();
            throw;
        }
    }

    /// <summary>A TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts a host and waits until it serves <c>/health</c>; fails with the host's output otherwise.</summary>
    public static async Task<SampleHostProcess> StartAsync(string name = "host", string? dataDirectory = null, params string[] settings)
    {
        var host = Launch(name, dataDirectory, settings);
        try
        {
            await host.WaitUntilHealthyAsync(StartDeadline);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a host without waiting for it (for races); call <see cref="WaitUntilHealthyAsync"/>.</summary>
    public static SampleHostProcess Launch(string name, string? dataDirectory, params string[] settings)
    {
        var assembly = SampleHostAssembly;
        var port = FreePort();
        var origin = new Uri($"http://127.0.0.1:{port}/");
        var ownsDataDirectory = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("lumo-blackbox-").FullName;

        string[] arguments = ["--urls", origin.AbsoluteUri.TrimEnd('/'), $"--Sample:DataDirectory={dataDirectory}", $"--Sample:PublicOrigin={origin.AbsoluteUri}", .. settings];
        return Start(assembly, origin, arguments, dataDirectory, ownsDataDirectory, name);
    }

    private static SampleHostProcess Start(string assembly, Uri origin, IEnumerable<string> arguments, string dataDirectory, bool ownsDataDirectory, string name)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            start.Environment.Remove(inherited);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new SampleHostProcess(process, origin, dataDirectory, ownsDataDirectory, name);
        process.OutputDataReceived += (_, e) => host.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => host.Capture(e.Data);
        process.Exited += (_, _) => host._exited.TrySetResult();
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
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

        if (line.Contains("Now listening on:", StringComparison.Ordinal) || line.Contains("Application started", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }

    /// <summary>
    /// Waits until the host answers <c>/health</c> with 200 within <paramref name="deadline"/>. The wait is driven by
    /// the host's own "listening" line and its exit, then confirmed by polling <c>/health</c>.
    /// </summary>
    public async Task WaitUntilHealthyAsync(TimeSpan deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await Task.WhenAny(_listening.Task, _exited.Task).WaitAsync(deadline);
        }
        catch (TimeoutException)
        {
            throw new AssertionException($"The sample host '{Name}' did not start listening within {deadline.TotalSeconds:0} s:\n{Output}");
        }

        if (_process.HasExited)
        {
            throw new AssertionException($"The sample host '{Name}' exited with code {ExitCodeOrNull()} before it served:\n{Output}");
        }

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new AssertionException($"The sample host '{Name}' exited with code {ExitCodeOrNull()} before it served:\n{Output}");
            }

            if (stopwatch.Elapsed > deadline)
            {
                throw new AssertionException($"The sample host '{Name}' did not serve /health within {deadline.TotalSeconds:0} s:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not accepting yet: poll again (each poll is a real request, so the loop is bounded by its own cost).
            }
            catch (TaskCanceledException)
            {
                // A poll timed out: poll again until the deadline.
            }
        }
    }

    /// <summary>The process's exit code, or null while it runs.</summary>
    public int? ExitCodeOrNull() => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Waits for the process to end on its own within <paramref name="deadline"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Ends the process at once, as <c>kill -9</c> does (SIGKILL), with every child it started.</summary>
    public async Task KillAsync()
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

        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>A client for this host that neither follows redirects nor keeps cookies.</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = BaseAddress,
        Timeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>Kills the process tree and removes the data folder it was given by this class.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a dying process: the temp folder is cleaned by the system.
            }
        }
    }

    /// <summary>The host's output, for a failure message.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Name).Append(" at ").Append(BaseAddress).Append(" (exit ").Append(ExitCodeOrNull()?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "running").Append(")\n");
        text.Append(Output);
        return text.ToString();
    }
}
