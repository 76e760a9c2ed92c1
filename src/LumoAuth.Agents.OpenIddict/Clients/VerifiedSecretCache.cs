using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;

namespace LumoAuth.Agents.OpenIddict.Clients;

/// <summary>
/// Remembers, for a few minutes and in this process only, that a presented client secret matched its stored hash.
/// OpenIddict stores secrets as slow PBKDF2 hashes, which is right at rest but costs milliseconds of CPU on every
/// token request; agents ask for tokens constantly. A hit needs the same secret against the same stored hash, so a
/// changed secret (new hash) is never served from the cache; failures are never cached. The key is a SHA-256 of
/// the stored hash and the secret, held only in memory.
/// </summary>
public sealed class VerifiedSecretCache
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _verified = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates the cache.</summary>
    public VerifiedSecretCache(TimeProvider time) => _time = time;

    /// <summary>How long a verification is remembered (default 5 minutes; zero turns the cache off).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether <paramref name="secret"/> was verified against <paramref name="comparand"/> recently.</summary>
    public bool IsVerified(string secret, string comparand) =>
        Lifetime > TimeSpan.Zero && _verified.TryGetValue(Key(secret, comparand), out var until) && until > _time.GetUtcNow();

    /// <summary>Remembers a successful verification.</summary>
    public void Remember(string secret, string comparand)
    {
        if (Lifetime <= TimeSpan.Zero)
        {
            return;
        }

        if (_verified.Count >= MaxEntries)
        {
            var now = _time.GetUtcNow();
            foreach (var (key, until) in _verified)
            {
                if (until <= now)
                {
                    _verified.TryRemove(key, out _);
                }
            }

            if (_verified.Count >= MaxEntries)
            {
                _verified.Clear();
            }
        }

        _verified[Key(secret, comparand)] = _time.GetUtcNow() + Lifetime;
    }

    private static string Key(string secret, string comparand) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(comparand + "\n" + secret)));
}

/// <summary>
/// OpenIddict's application manager with <see cref="VerifiedSecretCache"/> in front of its PBKDF2 check, writing the
/// store's own entity when it is handed a copy from <see cref="SharedApplicationCache{TApplication}"/>.
/// </summary>
/// <typeparam name="TApplication">The application entity.</typeparam>
public class CachingApplicationManager<TApplication> : OpenIddictApplicationManager<TApplication> where TApplication : class
{
    private readonly VerifiedSecretCache _cache;
    private readonly SharedApplicationCache<TApplication>? _shared;

    /// <summary>Creates the manager.</summary>
    public CachingApplicationManager(IOpenIddictApplicationCache<TApplication> cache, ILogger<OpenIddictApplicationManager<TApplication>> logger,
        IOptionsMonitor<OpenIddictCoreOptions> options, IOpenIddictApplicationStore<TApplication> store, VerifiedSecretCache verified)
        : base(cache, logger, options, store)
    {
        _cache = verified;
        _shared = cache as SharedApplicationCache<TApplication>;
    }

    /// <inheritdoc />
    public override async ValueTask UpdateAsync(TApplication application, CancellationToken cancellationToken = default)
    {
        var target = _shared is null ? application : await _shared.ForWriteAsync(application, cancellationToken);
        await base.UpdateAsync(target, cancellationToken);
        if (!ReferenceEquals(target, application))
        {
            SharedApplicationSnapshots<TApplication>.CopyInto(target, application); // the caller's copy shows what was saved
        }
    }

    /// <inheritdoc />
    public override async ValueTask DeleteAsync(TApplication application, CancellationToken cancellationToken = default)
    {
        await base.DeleteAsync(_shared is null ? application : await _shared.ForWriteAsync(application, cancellationToken), cancellationToken);

        // OpenIddict drops the cached application before deleting: a read in between could have kept it again.
        if (_shared is not null)
        {
            await _shared.Forget();
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(comparand);
        if (_cache.IsVerified(secret, comparand))
        {
            return true;
        }

        var valid = await base.ValidateClientSecretAsync(secret, comparand, cancellationToken);
        if (valid)
        {
            _cache.Remember(secret, comparand);
        }

        return valid;
    }
}
