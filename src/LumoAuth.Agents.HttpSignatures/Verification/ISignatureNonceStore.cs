using System.Collections.Concurrent;

namespace LumoAuth.Agents.HttpSignatures.Verification;

/// <summary>
/// Remembers nonces until their signatures could no longer be accepted, so a signed request is accepted once.
/// Implementations shared across server instances (a database) make replay protection hold for a whole fleet.
/// </summary>
public interface ISignatureNonceStore
{
    /// <summary>
    /// Records <paramref name="nonce"/> (already scoped to the key by the caller) until <paramref name="keepUntil"/>;
    /// false when it was recorded before and is still held — the message is a replay. Must be atomic.
    /// </summary>
    ValueTask<bool> TryReserveAsync(string nonce, DateTimeOffset keepUntil, CancellationToken cancellationToken);
}

/// <summary>An <see cref="ISignatureNonceStore"/> for one process (tests, single-instance servers).</summary>
public sealed class InMemorySignatureNonceStore(TimeProvider timeProvider) : ISignatureNonceStore
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);
    private long _reservations;

    /// <summary>A store on the system clock.</summary>
    public InMemorySignatureNonceStore()
        : this(TimeProvider.System)
    {
    }

    /// <inheritdoc />
    public ValueTask<bool> TryReserveAsync(string nonce, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        var now = timeProvider.GetUtcNow();
        if (Interlocked.Increment(ref _reservations) % 1024 == 0)
        {
            foreach (var (held, until) in _nonces)
            {
                if (until <= now)
                {
                    _nonces.TryRemove(new KeyValuePair<string, DateTimeOffset>(held, until));
                }
            }
        }

        while (true)
        {
            if (_nonces.TryAdd(nonce, keepUntil))
            {
                return ValueTask.FromResult(true);
            }

            if (!_nonces.TryGetValue(nonce, out var until))
            {
                continue;
            }

            if (until > now)
            {
                return ValueTask.FromResult(false);
            }

            if (_nonces.TryUpdate(nonce, keepUntil, until))
            {
                return ValueTask.FromResult(true);
            }
        }
    }
}
