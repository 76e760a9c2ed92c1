using System.Collections.Concurrent;

namespace LumoAuth.Agents.Client;

/// <summary>A token the client holds.</summary>
/// <param name="Value">The token.</param>
/// <param name="ExpiresAt">When it expires.</param>
/// <param name="RefreshToken">The refresh token issued with it, if any.</param>
public sealed record HeldToken(string Value, DateTimeOffset ExpiresAt, string? RefreshToken = null)
{
    /// <summary>The scope the server granted, when it said.</summary>
    public string? Scope { get; init; }

    /// <summary>The RFC 9396 authorization details the server granted (JSON), when it said.</summary>
    public string? AuthorizationDetails { get; init; }
}

/// <summary>
/// Tokens by key, each used until <c>renewBefore</c> its expiry. When a token must be fetched, one caller per key
/// fetches while the others wait for its result — a hundred concurrent requests cause one token request, not a
/// hundred (no thundering herd). A failed fetch is not cached: the next caller tries again. Expired entries are
/// dropped once the cache holds more than <c>maxEntries</c> keys.
/// </summary>
internal sealed class TokenCache : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _renewBefore;
    private readonly int _maxEntries;

    /// <summary>Creates the cache.</summary>
    public TokenCache(TimeProvider time, Func<TimeSpan> renewBefore, int maxEntries = 1024)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _renewBefore = renewBefore ?? throw new ArgumentNullException(nameof(renewBefore));
        _maxEntries = maxEntries;
    }

    /// <summary>How many keys the cache holds.</summary>
    public int Count => _entries.Count;

    /// <summary>How many fetches the cache made (for diagnostics and tests).</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    private int _fetches;

    /// <summary>The token held under <paramref name="key"/> if still fresh, else the one <paramref name="fetch"/> returns.</summary>
    public Task<HeldToken> GetAsync(string key, Func<CancellationToken, Task<HeldToken>> fetch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        return GetAsync(key, (_, ct) => fetch(ct), cancellationToken);
    }

    /// <summary>
    /// The token held under <paramref name="key"/> if still fresh, else the one <paramref name="renew"/> returns; it is
    /// given the stale token still held (to use its refresh token), or <see langword="null"/>.
    /// </summary>
    public async Task<HeldToken> GetAsync(string key, Func<HeldToken?, CancellationToken, Task<HeldToken>> renew, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(renew);
        var entry = _entries.GetOrAdd(key, _ => new Entry());
        if (Fresh(entry.Token) is { } cached)
        {
            return cached;
        }

        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(entry.Token) is { } fetchedMeanwhile)
            {
                return fetchedMeanwhile;
            }

            Interlocked.Increment(ref _fetches);
            Trim();
            HeldToken token;
            try
            {
                token = await renew(entry.Token, cancellationToken);
            }
            catch
            {
                // Nothing is kept for a failed fetch, so made-up keys (random user tokens) do not pile up.
                if (entry.Token is null)
                {
                    _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                }

                throw;
            }

            entry.Token = token;
            _entries[key] = entry; // back in, should a failed fetch beside it have removed the entry
            return token;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>True when a token, fresh or stale, is held under <paramref name="key"/>.</summary>
    public bool Holds(string key) => _entries.TryGetValue(key, out var entry) && entry.Token is not null;

    /// <summary>The fresh token held under <paramref name="key"/>, or <see langword="null"/>.</summary>
    public HeldToken? Peek(string key) => _entries.TryGetValue(key, out var entry) ? Fresh(entry.Token) : null;

    /// <summary>Stores <paramref name="token"/> under <paramref name="key"/>.</summary>
    public void Set(string key, HeldToken token) => _entries.GetOrAdd(key, _ => new Entry()).Token = token;

    /// <summary>Forgets the token under <paramref name="key"/> (for example after a resource refused it), if it is still <paramref name="token"/> when given.</summary>
    public void Invalidate(string key, string? token = null)
    {
        if (_entries.TryGetValue(key, out var entry) && (token is null || entry.Token?.Value == token))
        {
            entry.Token = null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var entry in _entries.Values)
        {
            entry.Gate.Dispose();
        }
    }

    private HeldToken? Fresh(HeldToken? token) => token is not null && token.ExpiresAt - _renewBefore() > _time.GetUtcNow() ? token : null;

    private void Trim()
    {
        if (_entries.Count <= _maxEntries)
        {
            return;
        }

        // Expired tokens first; if that is not enough, the ones expiring soonest (a hard cap on memory).
        var now = _time.GetUtcNow();
        var victims = _entries.Where(e => e.Value.Gate.CurrentCount == 1)
            .OrderBy(e => e.Value.Token is null || e.Value.Token.ExpiresAt <= now ? DateTimeOffset.MinValue : e.Value.Token.ExpiresAt)
            .Take(_entries.Count - (_maxEntries * 3 / 4))
            .ToList();
        foreach (var victim in victims)
        {
            _entries.TryRemove(victim); // its gate is left to the collector: a waiter may still hold it
        }
    }

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public HeldToken? Token { get; set; }
    }
}
