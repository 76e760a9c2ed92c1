using System.Diagnostics;
using System.Net;

namespace LumoAuth.Agents.LoadGenerator;

/// <summary>The figures of one scenario.</summary>
internal sealed record ScenarioResult(
    string Name, int Workers, double Seconds, long Ok, long Failed, double RequestsPerSecond, double P50Ms, double P99Ms, double P999Ms,
    double CpuMsPerRequest, double BytesPerRequest, long WorkingSetBytes, string? FirstFailure);

/// <summary>
/// Drives one request shape with N workers over HTTP/1.1 keep-alive and records every latency. Closed loop (each
/// worker sends its next request when the last one is answered) for the maximum rate; paced (a fixed schedule, latency
/// measured from the intended send time so queueing is not hidden) for a target rate.
/// </summary>
internal static class Load
{
    /// <summary>
    /// Brings a freshly started host to steady state before anything is measured. A .NET server pinned to one core keeps
    /// getting faster for its first minutes of load: the JIT recompiles the hot paths of ASP.NET Core, OpenIddict and EF
    /// Core (tiered, profile-guided compilation) on that same core, and its CPU time counts against the requests. Without
    /// this, whichever scenarios run first pay for it (client credentials measured 2.2 ms of CPU after 12 s of warm-up,
    /// 0.63 ms after 90 s).
    /// </summary>
    public static async Task WarmUpAsync(HttpClient http, IEnumerable<(Func<HttpClient, Task<HttpResponseMessage>> Send, HttpStatusCode Expected, TimeSpan For)> shapes, int workers)
    {
        foreach (var (send, expected, duration) in shapes)
        {
            var (_, failed, firstFailure, _) = await DriveAsync(http, send, workers, duration, expected, targetRps: null);
            if (failed > 0)
            {
                throw new InvalidOperationException($"Warm-up: {failed} requests did not get {(int)expected}; first: {firstFailure}");
            }
        }
    }

    public static async Task<ScenarioResult> RunAsync(
        string name, HostProcess host, HttpClient http, Func<HttpClient, Task<HttpResponseMessage>> send, int workers, TimeSpan duration,
        HttpStatusCode expected = HttpStatusCode.OK, double? targetRps = null)
    {
        // Warm-up: JIT, connection pool, caches.
        await DriveAsync(http, send, workers, TimeSpan.FromSeconds(3), expected, targetRps);
        var before = await host.ReadAsync(http);
        var started = Stopwatch.GetTimestamp();
        var (latencies, failed, firstFailure, peakWorkingSet) = await DriveAsync(http, send, workers, duration, expected, targetRps, host);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var after = await host.ReadAsync(http);
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)] * 1000.0 / Stopwatch.Frequency;
        var ok = latencies.Count;
        var total = Math.Max(1, ok + failed);
        return new ScenarioResult(name, workers, seconds, ok, failed, ok / seconds, Percentile(0.50), Percentile(0.99), Percentile(0.999),
            (after.CpuMilliseconds - before.CpuMilliseconds) / total, (after.AllocatedBytes - before.AllocatedBytes) / (double)total,
            Math.Max(peakWorkingSet, after.WorkingSetBytes), firstFailure);
    }

    private static async Task<(List<long> Latencies, long Failed, string? FirstFailure, long PeakWorkingSet)> DriveAsync(
        HttpClient http, Func<HttpClient, Task<HttpResponseMessage>> send, int workers, TimeSpan duration, HttpStatusCode expected, double? targetRps, HostProcess? host = null)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var all = new List<long>[workers];
        long failed = 0;
        string? firstFailure = null;
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = host is null ? Task.CompletedTask : Task.Run(async () =>
        {
            using var probe = new HttpClient();
            while (!sampling.IsCancellationRequested)
            {
                try
                {
                    peak = Math.Max(peak, (await host.ReadAsync(probe)).WorkingSetBytes);
                    await Task.Delay(1000, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });

        var interval = targetRps is { } rps ? Stopwatch.Frequency * workers / rps : 0;
        var tasks = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            var latencies = all[worker] = new List<long>(4096);
            var next = Stopwatch.GetTimestamp() + (long)(interval * worker / workers);
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= end)
                {
                    break;
                }

                long sentAt;
                if (interval > 0)
                {
                    if (next > now)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((next - now) / (double)Stopwatch.Frequency));
                    }

                    sentAt = next;
                    next += (long)interval;
                }
                else
                {
                    sentAt = Stopwatch.GetTimestamp();
                }

                try
                {
                    using var response = await send(http);
                    await response.Content.LoadIntoBufferAsync();
                    if (response.StatusCode == expected)
                    {
                        latencies.Add(Stopwatch.GetTimestamp() - sentAt);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                        Interlocked.CompareExchange(ref firstFailure, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}", null);
                    }
                }
                catch (HttpRequestException exception)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, exception.Message, null);
                }
            }
        })).ToList();
        await Task.WhenAll(tasks);
        await sampling.CancelAsync();
        await sampler;
        return ([.. all.SelectMany(l => l)], failed, firstFailure, peak);
    }
}
