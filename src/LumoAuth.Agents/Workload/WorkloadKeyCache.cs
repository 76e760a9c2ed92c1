using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>
/// Each trusted issuer's signing keys, per server instance. A token with an unknown <c>kid</c> causes at most one
/// refresh per issuer per <see cref="WorkloadOptions.RefreshThrottle"/>, made by one caller while the others wait
/// (single flight); within the window further unknown <c>kid</c>s are answered from the cache, so random <c>kid</c>s
/// cannot cause a fetch storm. While an issuer cannot be reached its last good keys keep working for
/// <see cref="WorkloadOptions.LastKnownGoodWindow"/>, then it fails closed. Pinned keys are never fetched.
/// Registered as a singleton.
/// </summary>
public sealed partial class WorkloadKeyCache
{
    private readonly ConcurrentDictionary<string, IssuerKeys> _issuers = new(StringComparer.Ordinal);
    private readonly IWorkloadKeyFetcher _fetcher;
    private readonly IOptionsMonitor<WorkloadOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkloadKeyCache> _logger;

    /// <summary>Creates the cache.</summary>
    public WorkloadKeyCache(IWorkloadKeyFetcher fetcher, IOptionsMonitor<WorkloadOptions> options, TimeProvider time, ILogger<WorkloadKeyCache> logger)
    {
        _fetcher = fetcher;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many times the keys of <paramref name="issuerName"/> were fetched by this instance.</summary>
    public int FetchCount(string issuerName) => _issuers.TryGetValue(issuerName, out var state) ? state.Fetches : 0;

    /// <summary>
    /// The key of <paramref name="issuer"/> with <paramref name="keyId"/> (or its only key when the token names none),
    /// or <see langword="null"/> when it has no such key.
    /// </summary>
    /// <exception cref="WorkloadKeyFetchException">The keys cannot be had and the last good ones are too old.</exception>
    public async ValueTask<SecurityKey?> FindAsync(WorkloadIssuer issuer, string? keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var state = _issuers.GetOrAdd(issuer.Name, _ => new IssuerKeys());
        if (issuer.HasPinnedKeys)
        {
            state.Keys ??= new JsonWebKeySet(issuer.PinnedJwks ?? await File.ReadAllTextAsync(issuer.PinnedJwksFile!, cancellationToken));
            return Match(state.Keys, keyId);
        }

        var options = _options.CurrentValue;
        var now = _time.GetUtcNow();
        var keys = state.Keys;
        var stale = keys is null || now - state.FetchedAt >= options.KeyRefreshInterval;
        if (keys is not null && !stale && Match(keys, keyId) is { } cached)
        {
            return cached;
        }

        // Join a refresh that is due, or one already in flight (its result answers this caller too); with no keys
        // yet, wait for the first fetch rather than failing beside it.
        if (now - state.LastAttempt >= options.RefreshThrottle || state.Keys is null || state.Gate.CurrentCount == 0)
        {
            await RefreshAsync(issuer, state, options, cancellationToken);
        }

        now = _time.GetUtcNow();
        if (state.Keys is null || now - state.FetchedAt >= options.LastKnownGoodWindow)
        {
            throw new WorkloadKeyFetchException(state.LastError ?? $"The keys of '{issuer.Name}' are not available.");
        }

        return Match(state.Keys, keyId);
    }

    private async Task RefreshAsync(WorkloadIssuer issuer, IssuerKeys state, WorkloadOptions options, CancellationToken cancellationToken)
    {
        var asked = _time.GetUtcNow();
        await state.Gate.WaitAsync(cancellationToken);
        try
        {
            // Another caller refreshed while this one waited: use its result rather than fetching again.
            if (state.LastAttempt >= asked || _time.GetUtcNow() - state.LastAttempt < options.RefreshThrottle)
            {
                return;
            }

            state.LastAttempt = _time.GetUtcNow();
            state.Fetches++;
            try
            {
                // Not the caller's token: a caller hanging up must not abort the fetch every waiter relies on (and
                // leave the throttle running with no keys). The fetcher bounds its own time.
                state.Keys = await _fetcher.FetchAsync(issuer, CancellationToken.None);
                state.FetchedAt = _time.GetUtcNow();
                state.LastError = null;
            }
            catch (Exception exception) when (exception is WorkloadKeyFetchException or OperationCanceledException)
            {
                state.LastError = exception is WorkloadKeyFetchException ? exception.Message : $"Fetching the keys of '{issuer.Name}' was cancelled.";
                LogFetchFailed(_logger, issuer.Name, state.LastError);
            }
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private static JsonWebKey? Match(JsonWebKeySet set, string? keyId)
    {
        var signing = set.Keys.Where(k => k.Use is null or "sig").ToList();
        if (keyId is null)
        {
            return signing.Count == 1 ? signing[0] : null;
        }

        return signing.FirstOrDefault(k => string.Equals(k.Kid, keyId, StringComparison.Ordinal));
    }

    [LoggerMessage(EventId = 4200, Level = LogLevel.Warning, Message = "The keys of workload issuer {Issuer} could not be fetched: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string issuer, string reason);

    private sealed class IssuerKeys
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public JsonWebKeySet? Keys { get; set; }

        public DateTimeOffset FetchedAt { get; set; }

        public DateTimeOffset LastAttempt { get; set; } = DateTimeOffset.MinValue;

        public string? LastError { get; set; }

        public int Fetches { get; set; }
    }
}
