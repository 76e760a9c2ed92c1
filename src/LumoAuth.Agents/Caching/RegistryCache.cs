using System.Collections.Concurrent;

namespace LumoAuth.Agents.Caching;

/// <summary>
/// Registry reads (agent profiles, consents) kept between requests for a short, bounded time, so the token endpoint
/// does not read the same rows from the database on every request. Every write through the pack's stores in this
/// process drops what it changed at once; another instance sharing the database sees the change when its copy expires
/// (<see cref="Configuration.LumoAgentsOptions.RegistryCacheDuration"/>, 2 seconds by default, zero turns caching off).
/// Absent rows are kept too unless the cache is told not to (an unknown <c>client_id</c> costs one read per period). At
/// most <see cref="MaxEntries"/> entries are held: when full, expired ones are swept, and if none has expired everything
/// is dropped, so a flood of distinct keys costs reads, never correctness.
/// </summary>
/// <typeparam name="TKey">What a read is looked up by.</typeparam>
/// <typeparam name="TValue">An immutable value (records of the core package), shared by every reader.</typeparam>
public sealed class RegistryCache<TKey, TValue> where TKey : notnull where TValue : class
{
    /// <summary>The most entries held; past it, reads go to the store until entries expire.</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<TKey, Entry> _entries;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;
    private readonly bool _keepAbsent;

    // Bumped by every write: a read that started before a write does not put what it read into the cache.
    private long _generation;

    /// <summary>Creates the cache.</summary>
    /// <param name="time">The clock entries expire by.</param>
    /// <param name="lifetime">How long an entry is served; zero keeps nothing.</param>
    /// <param name="comparer">How keys compare.</param>
    /// <param name="keepAbsent">Whether a read that found nothing is kept too.</param>
    public RegistryCache(TimeProvider time, TimeSpan lifetime, IEqualityComparer<TKey>? comparer = null, bool keepAbsent = true)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero);
        _time = time;
        _lifetime = lifetime;
        _keepAbsent = keepAbsent;
        _entries = new ConcurrentDictionary<TKey, Entry>(comparer);
    }

    /// <summary>Whether anything is kept (a zero lifetime reads the store every time).</summary>
    public bool Enabled => _lifetime > TimeSpan.Zero;

    /// <summary>How many entries are held now (expired ones included until they are next looked up).</summary>
    public int Count => _entries.Count;

    /// <summary>The value for <paramref name="key"/>: the kept one while fresh, otherwise read with <paramref name="read"/> and kept.</summary>
    public async ValueTask<TValue?> GetAsync<TState>(TKey key, TState state, Func<TState, CancellationToken, ValueTask<TValue?>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (!Enabled)
        {
            return await read(state, cancellationToken);
        }

        var now = _time.GetTimestamp();
        if (_entries.TryGetValue(key, out var entry) && _time.GetElapsedTime(entry.ReadAt, now) < _lifetime)
        {
            return entry.Value;
        }

        var generation = Volatile.Read(ref _generation);
        var value = await read(state, cancellationToken);
        if ((value is not null || _keepAbsent) && Volatile.Read(ref _generation) == generation && MakeRoom(key, now))
        {
            _entries[key] = new Entry(value, now);

            // A write that raced with this read may have removed the key before the line above: drop it again.
            if (Volatile.Read(ref _generation) != generation)
            {
                _entries.TryRemove(key, out _);
            }
        }

        return value;
    }

    private bool MakeRoom(TKey key, long now)
    {
        if (_entries.ContainsKey(key) || _entries.Count < MaxEntries)
        {
            return true;
        }

        foreach (var (stale, entry) in _entries)
        {
            if (_time.GetElapsedTime(entry.ReadAt, now) >= _lifetime)
            {
                _entries.TryRemove(stale, out _);
            }
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        return true;
    }

    /// <summary>Forgets <paramref name="key"/>; called after every write that may change it.</summary>
    public void Invalidate(TKey key)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(key, out _);
    }

    /// <summary>Forgets everything; for writes that may change entries under more than one key.</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private sealed record Entry(TValue? Value, long ReadAt);
}
