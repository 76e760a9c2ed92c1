using System.Collections.Concurrent;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Keys;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>
/// Each trusted issuer's signing keys, per server instance, each kept by a <see cref="SigningKeyCache"/> (the rules
/// every fetched key set follows): a token with an unknown <c>kid</c> causes at most one refresh per issuer per
/// <see cref="WorkloadOptions.RefreshThrottle"/>, made by one caller while the others wait, so random <c>kid</c>s cannot
/// cause a fetch storm; while an issuer cannot be reached its last good keys keep working for
/// <see cref="WorkloadOptions.LastKnownGoodWindow"/>, then it fails closed. Pinned keys are never fetched.
/// Registered as a singleton.
/// </summary>
public sealed partial class WorkloadKeyCache
{
    private readonly ConcurrentDictionary<string, SigningKeyCache> _fetched = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyList<SecurityKey>> _pinned = new(StringComparer.Ordinal);

    // The issuer as last asked for: a fetch uses its current settings (JWKS address, limits) after a configuration reload.
    private readonly ConcurrentDictionary<string, WorkloadIssuer> _current = new(StringComparer.Ordinal);
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
    public int FetchCount(string issuerName) => _fetched.TryGetValue(issuerName, out var cache) ? cache.FetchCount : 0;

    /// <summary>
    /// The key of <paramref name="issuer"/> with <paramref name="keyId"/> (or its only key when the token names none),
    /// or <see langword="null"/> when it has no such key.
    /// </summary>
    /// <exception cref="WorkloadKeyFetchException">The keys cannot be had and the last good ones are too old.</exception>
    public async ValueTask<SecurityKey?> FindAsync(WorkloadIssuer issuer, string? keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (issuer.HasPinnedKeys)
        {
            if (!_pinned.TryGetValue(issuer.Name, out var pinned))
            {
                pinned = _pinned.GetOrAdd(issuer.Name, Signing(new JsonWebKeySet(issuer.PinnedJwks ?? await File.ReadAllTextAsync(issuer.PinnedJwksFile!, cancellationToken))));
            }

            return Match(pinned, keyId);
        }

        _current[issuer.Name] = issuer;
        var cache = _fetched.GetOrAdd(issuer.Name, name => new SigningKeyCache(
            async _ => Signing(await _fetcher.FetchAsync(_current[name], CancellationToken.None)),
            () =>
            {
                var options = _options.CurrentValue;
                return new SigningKeyCacheOptions
                {
                    RefreshInterval = options.KeyRefreshInterval, RefreshThrottle = options.RefreshThrottle, LastKnownGoodWindow = options.LastKnownGoodWindow,
                };
            },
            _time,
            reason => LogFetchFailed(_logger, name, reason)));
        try
        {
            return Match(await cache.GetAsync(keyId, cancellationToken), keyId);
        }
        catch (SigningKeysUnavailableException exception)
        {
            throw new WorkloadKeyFetchException($"The keys of '{issuer.Name}' are not available: {exception.Message}");
        }
    }

    private static List<SecurityKey> Signing(JsonWebKeySet set) => [.. set.Keys.Where(k => k.Use is null or "sig")];

    private static SecurityKey? Match(IReadOnlyList<SecurityKey> keys, string? keyId) => keyId is null
        ? keys.Count == 1 ? keys[0] : null
        : keys.FirstOrDefault(k => string.Equals(k.KeyId, keyId, StringComparison.Ordinal));

    [LoggerMessage(EventId = LumoAgentsEventIds.WorkloadKeysUnavailable, EventName = nameof(LumoAgentsEventIds.WorkloadKeysUnavailable), Level = LogLevel.Warning, Message = "The keys of workload issuer {Issuer} could not be fetched: {Reason}")]
    private static partial void LogFetchFailed(ILogger logger, string issuer, string reason);
}
