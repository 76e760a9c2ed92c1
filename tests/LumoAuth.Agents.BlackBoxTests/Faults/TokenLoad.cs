using System.Collections.Concurrent;
using System.Diagnostics;
using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Faults;

/// <summary>One client-credentials request of the load: when it started and ended, and what came back (status 0: no answer).</summary>
public sealed record LoadResult(string Instance, TimeSpan Started, TimeSpan Ended, int Status, Answer? Answer, string? TokenId, string? Failure);

/// <summary>
/// Concurrent clients doing client credentials against several instances until stopped. Waiting on the load is
/// driven by its own results (each result wakes the waiter), never by a timer.
/// </summary>
public sealed class TokenLoad : IAsyncDisposable
{
    private readonly ConcurrentQueue<LoadResult> _results = new();
    private readonly SemaphoreSlim _progress = new(0);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string Instance, CancellationTokenSource Stop, Task Workers, HttpClient Http)> _instances = [];

    /// <summary>Time since the load was created.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Every result so far.</summary>
    public IReadOnlyList<LoadResult> Results => [.. _results];

    /// <summary>Starts <paramref name="clients"/> concurrent clients against one instance.</summary>
    public void Start(SampleHostProcess host, int clients)
    {
        ArgumentNullException.ThrowIfNull(host);
        var stop = new CancellationTokenSource();
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var workers = Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(() => WorkAsync(host.Name, http, stop.Token))));
        _instances.Add((host.Name, stop, workers, http));
    }

    private async Task WorkAsync(string instance, HttpClient http, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var started = Now;
            try
            {
                using var content = new FormUrlEncodedContent([
                    KeyValuePair.Create("grant_type", "client_credentials"),
                    KeyValuePair.Create("client_id", Tenant.SearchTool),
                    KeyValuePair.Create("client_secret", Tenant.SearchToolSecret)]);
                using var response = await http.PostAsync(new Uri(Tenant.TokenPath, UriKind.Relative), content, stop);
                var answer = await Answer.ReadAsync(response);
                var token = answer.Status == 200 ? answer.Json?["access_token"]?.GetValue<string>() : null;
                var tokenId = token is null ? null : Forgery.Payload(token)["jti"]?.GetValue<string>();
                _results.Enqueue(new LoadResult(instance, started, Now, answer.Status, answer, tokenId, null));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                _results.Enqueue(new LoadResult(instance, started, Now, 0, null, null, e.GetType().Name + ": " + e.Message));
            }

            _progress.Release();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the results, failing after <paramref name="deadline"/>.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<LoadResult>, bool> condition, TimeSpan deadline, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var until = Now + deadline;
        while (!condition(Results))
        {
            var left = until - Now;
            if (left <= TimeSpan.Zero || !await _progress.WaitAsync(left))
            {
                throw new AssertionException($"Within {deadline.TotalSeconds:0} s, not reached: {what}. Last results:\n" +
                    string.Join('\n', Results.TakeLast(10).Select(r => $"{r.Instance} {r.Status} {r.Failure ?? r.Answer?.Summary}")));
            }
        }
    }

    /// <summary>Stops the clients of one instance (its requests in flight end as cancelled and are not recorded).</summary>
    public async Task StopAsync(string instance)
    {
        foreach (var (name, stop, workers, _) in _instances.Where(i => i.Instance == instance))
        {
            await stop.CancelAsync();
            await workers;
        }
    }

    /// <summary>Stops every client.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (_, stop, workers, http) in _instances)
        {
            await stop.CancelAsync();
            await workers;
            stop.Dispose();
            http.Dispose();
        }

        _instances.Clear();
        _progress.Dispose();
    }
}
