using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.LoadGenerator;

/// <summary>The sample host in its own process, pinned to one core, with its runtime figures readable over loopback.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HostProcess> StartAsync(string hostDll, string core, int port, IDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", core, "dotnet", hostDll, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var extra in (Environment.GetEnvironmentVariable("LUMO_BENCH_HOST_ENV") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            start.Environment[extra[..extra.IndexOf('=', StringComparison.Ordinal)]] = extra[(extra.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        start.WorkingDirectory = Path.GetDirectoryName(hostDll)!;
        var process = Process.Start(start) ?? throw new InvalidOperationException("The host did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine("host: " + line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Poll the health endpoint until it answers, with a deadline.
        var host = new HostProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {process.ExitCode} before it became healthy.");
            }

            try
            {
                if ((await http.GetAsync(new Uri("health", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return host;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                process.Kill(true);
                throw new TimeoutException("The host did not become healthy within 90 seconds.");
            }

            await Task.Delay(200);
        }
    }

    public async Task<RuntimeFigures> ReadAsync(HttpClient http)
    {
        var json = await http.GetFromJsonAsync<JsonObject>(new Uri(BaseAddress, "_diagnostics/runtime")) ?? throw new InvalidOperationException("No diagnostics.");
        return new RuntimeFigures(json["allocated_bytes"]!.GetValue<long>(), json["cpu_ms"]!.GetValue<double>(), json["working_set_bytes"]!.GetValue<long>());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

internal sealed record RuntimeFigures(long AllocatedBytes, double CpuMilliseconds, long WorkingSetBytes);
