using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Keys;

/// <summary>How signing keys fetched from elsewhere are kept: a token server's by resources, a workload issuer's by the token server.</summary>
public sealed class SigningKeyCacheOptions
{
    /// <summary>How long fetched keys are used before they are read again (default 1 hour).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least time between two fetches (default 30 seconds): a token naming an unknown key refreshes at most this
    /// often, so a flood of made-up key ids cannot make the resource hammer the token server.
    /// </summary>
    public TimeSpan RefreshThrottle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the last good keys keep working while the token server cannot be reached (default 24 hours); after
    /// that every token is refused (fail closed).
    /// </summary>
    public TimeSpan LastKnownGoodWindow { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>The issuer's keys could not be had, and the last good ones (if any) are too old to use.</summary>
public sealed class SigningKeysUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SigningKeysUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SigningKeysUnavailableException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public SigningKeysUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// One issuer's signing keys (a token server's, a workload platform's), fetched by a delegate and cached: refreshed on
/// schedule; when a token names a key not held, refreshed at most once per <see cref="SigningKeyCacheOptions.RefreshThrottle"/>
/// by one caller while the others wait for its result (single flight), so made-up key ids cannot cause a fetch storm;
/// the good keys keep serving while a refresh is in flight and, while the issuer cannot be reached, for
/// <see cref="SigningKeyCacheOptions.LastKnownGoodWindow"/>; then it fails closed. The one place these rules live.
/// </summary>
public sealed class SigningKeyCache : IDisposable
{
    private readonly Func<CancellationToken, Task<IReadOnlyList<SecurityKey>>> _fetch;
    private readonly Func<SigningKeyCacheOptions> _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private State _state = new(null, DateTimeOffset.MinValue, DateTimeOffset.MinValue, null);

    private int _fetches;

    private sealed record State(IReadOnlyList<SecurityKey>? Keys, DateTimeOffset FetchedAt, DateTimeOffset AttemptedAt, string? LastError);

    private readonly Action<string>? _failed;

    /// <summary>
    /// Creates the cache over <paramref name="fetch"/>, which must bound its own time; <paramref name="failed"/> hears
    /// why a fetch failed (to log it).
    /// </summary>
    public SigningKeyCache(Func<CancellationToken, Task<IReadOnlyList<SecurityKey>>> fetch, Func<SigningKeyCacheOptions> options, TimeProvider time,
        Action<string>? failed = null)
    {
        _fetch = fetch ?? throw new ArgumentNullException(nameof(fetch));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _failed = failed;
    }

    /// <summary>How many times the keys were fetched (successfully or not).</summary>
    public int FetchCount => Volatile.Read(ref _fetches);

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <summary>
    /// The keys. <paramref name="keyId"/> is the key a token names: when it is not held, a refresh is asked for
    /// (within the throttle).
    /// </summary>
    /// <exception cref="SigningKeysUnavailableException">No keys could be had, or the last good ones are too old.</exception>
    public async ValueTask<IReadOnlyList<SecurityKey>> GetAsync(string? keyId, CancellationToken cancellationToken)
    {
        var options = _options();
        var state = Volatile.Read(ref _state);
        var now = _time.GetUtcNow();
        var fresh = state.Keys is not null && now - state.FetchedAt < options.RefreshInterval;
        var held = keyId is null || (state.Keys?.Any(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal)) ?? false);
        var usable = state.Keys is not null && now - state.FetchedAt < options.LastKnownGoodWindow;
        if (!(fresh && held))
        {
            if (_gate.CurrentCount == 0 && usable)
            {
                return state.Keys!; // a refresh is in flight: keep serving the good keys rather than queueing behind it
            }

            if (now - state.AttemptedAt >= options.RefreshThrottle || _gate.CurrentCount == 0)
            {
                await RefreshAsync(options, cancellationToken);
                state = Volatile.Read(ref _state);
            }
        }

        if (state.Keys is null || _time.GetUtcNow() - state.FetchedAt >= options.LastKnownGoodWindow)
        {
            throw new SigningKeysUnavailableException(state.LastError ?? "The signing keys are not available.");
        }

        return state.Keys;
    }

    private async Task RefreshAsync(SigningKeyCacheOptions options, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var state = Volatile.Read(ref _state);
            if (_time.GetUtcNow() - state.AttemptedAt < options.RefreshThrottle)
            {
                return; // another caller fetched while this one waited: its result answers this one too
            }

            Interlocked.Increment(ref _fetches);
            try
            {
                // Not the caller's token: a caller hanging up must not abort the fetch the waiters rely on.
                var keys = await _fetch(CancellationToken.None);
                var done = _time.GetUtcNow();
                Volatile.Write(ref _state, new State(keys, done, done, null));
            }
#pragma warning disable CA1031 // Whatever a fetch throws, the cache stays consistent: last good keys, then fail closed, with the reason kept.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                // The throttle runs from the end of the attempt, so a fetch that hangs is not followed by another at once.
                var reason = exception is OperationCanceledException ? "the fetch was cancelled or timed out" : exception.Message;
                Volatile.Write(ref _state, state with { AttemptedAt = _time.GetUtcNow(), LastError = "The signing keys could not be fetched: " + reason });
                _failed?.Invoke(reason);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
