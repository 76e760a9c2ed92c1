using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.Keys;

/// <summary>How a resource keeps the token server's signing keys (the same rules as for workload issuers' keys).</summary>
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

/// <summary>The token server's keys could not be had, and the last good ones (if any) are too old to use.</summary>
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
/// One token server's signing keys, fetched by a delegate and cached: refreshed on schedule; when a token names a key
/// not held, refreshed at most once per <see cref="SigningKeyCacheOptions.RefreshThrottle"/> by one caller while the
/// others wait for its result (single flight); the last good keys serve while the server is down, for
/// <see cref="SigningKeyCacheOptions.LastKnownGoodWindow"/>, then it fails closed.
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

    /// <summary>Creates the cache over <paramref name="fetch"/>, which must bound its own time.</summary>
    public SigningKeyCache(Func<CancellationToken, Task<IReadOnlyList<SecurityKey>>> fetch, Func<SigningKeyCacheOptions> options, TimeProvider time)
    {
        _fetch = fetch ?? throw new ArgumentNullException(nameof(fetch));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
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
            throw new SigningKeysUnavailableException(state.LastError ?? "The token server's signing keys are not available.");
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
            catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException or OperationCanceledException)
            {
                // The throttle runs from the end of the attempt, so a fetch that hangs is not followed by another at once.
                Volatile.Write(ref _state, state with { AttemptedAt = _time.GetUtcNow(), LastError = "The token server's signing keys could not be fetched: " + exception.Message });
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Reads a metadata document (<paramref name="metadata"/>, e.g. <c>/.well-known/openid-configuration</c>), checks
    /// that it speaks for <paramref name="expectedIssuer"/> (when given), follows its <c>jwks_uri</c> (HTTPS, or HTTP on
    /// loopback) and returns the signing keys of that key set.
    /// </summary>
    public static async Task<IReadOnlyList<SecurityKey>> FetchJwksAsync(HttpClient client, Uri metadata, string? expectedIssuer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(metadata);
        using var document = await client.GetFromJsonAsync<JsonDocument>(metadata, cancellationToken)
            ?? throw new InvalidOperationException($"{metadata} returned no metadata.");
        if (expectedIssuer is not null && (!document.RootElement.TryGetProperty("issuer", out var issuer) || issuer.GetString() != expectedIssuer))
        {
            throw new InvalidOperationException($"{metadata} speaks for another issuer than {expectedIssuer}.");
        }

        var jwksUri = new Uri(metadata, document.RootElement.GetProperty("jwks_uri").GetString() ?? throw new InvalidOperationException($"{metadata} names no jwks_uri."));
        if (jwksUri.Scheme != Uri.UriSchemeHttps && !(jwksUri.Scheme == Uri.UriSchemeHttp && jwksUri.IsLoopback))
        {
            throw new InvalidOperationException($"The jwks_uri {jwksUri} is neither HTTPS nor loopback.");
        }

        var jwks = await client.GetStringAsync(jwksUri, cancellationToken);
        return new JsonWebKeySet(jwks).GetSigningKeys().ToList();
    }

    /// <summary>The address of a well-known document of <paramref name="issuer"/> (RFC 8414 §3 for issuers with a path: appended after it).</summary>
    public static Uri WellKnown(Uri issuer, string document)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        return new Uri(issuer.AbsoluteUri.TrimEnd('/') + "/.well-known/" + document);
    }

    /// <summary>Sets a key-fetching HTTP client's limits: 10 seconds, 1 MB.</summary>
    public static void Bound(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.Timeout = TimeSpan.FromSeconds(10);
        client.MaxResponseContentBufferSize = 1024 * 1024;
    }
}
