using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.AAuth;

/// <summary>
/// The token server's signing keys for a resource: configured ones, or fetched from its AAuth metadata's
/// <c>jwks_uri</c>, cached, refreshed on schedule and — at most once per 30 seconds — when a token names an unknown
/// key, so a flood of forged key ids cannot make the resource hammer the token server.
/// </summary>
public sealed class TokenServerKeys : IDisposable
{
    /// <summary>The name of the HTTP client used to fetch the keys.</summary>
    public const string HttpClientName = "LumoAuth.Agents.AAuthResource";

    private static readonly TimeSpan UnknownKeyThrottle = TimeSpan.FromSeconds(30);
    private readonly IHttpClientFactory _http;
    private readonly IOptionsMonitor<AAuthResourceOptions> _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Snapshot _snapshot = new([], DateTimeOffset.MinValue, DateTimeOffset.MinValue);

    private sealed record Snapshot(IReadOnlyList<SecurityKey> Keys, DateTimeOffset FetchedAt, DateTimeOffset AttemptedAt);

    /// <summary>Creates the cache.</summary>
    public TokenServerKeys(IHttpClientFactory http, IOptionsMonitor<AAuthResourceOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    /// <summary>The keys; <paramref name="unknownKeyId"/> asks for a refresh because a token named a key not held.</summary>
    public async ValueTask<IReadOnlyList<SecurityKey>> GetAsync(string? unknownKeyId, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        if (options.TokenServerKeys.Count > 0)
        {
            return [.. options.TokenServerKeys];
        }

        var now = _time.GetUtcNow();
        var current = Volatile.Read(ref _snapshot);
        var stale = now - current.FetchedAt > options.KeyRefreshInterval;
        var missing = unknownKeyId is not null && current.Keys.All(k => k.KeyId != unknownKeyId);
        if ((!stale && !missing) || now - current.AttemptedAt <= UnknownKeyThrottle)
        {
            return current.Keys; // fresh enough, or tried within the throttle window (successfully or not)
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            current = Volatile.Read(ref _snapshot);
            if (_time.GetUtcNow() - current.AttemptedAt <= UnknownKeyThrottle)
            {
                return current.Keys;
            }

            Volatile.Write(ref _snapshot, current with { AttemptedAt = _time.GetUtcNow() });
            var client = _http.CreateClient(HttpClientName);
            var server = options.TokenServer ?? throw new InvalidOperationException("AAuthResourceOptions.TokenServer is not set.");
            using var metadata = await client.GetFromJsonAsync<JsonDocument>(new Uri(server, ".well-known/aauth-issuer"), cancellationToken)
                ?? throw new InvalidOperationException("The token server returned no AAuth metadata.");
            var jwksUri = metadata.RootElement.GetProperty("jwks_uri").GetString() ?? throw new InvalidOperationException("The AAuth metadata has no jwks_uri.");
            var jwks = await client.GetStringAsync(new Uri(jwksUri), cancellationToken);
            var keys = new JsonWebKeySet(jwks).GetSigningKeys().ToList();
            var now2 = _time.GetUtcNow();
            Volatile.Write(ref _snapshot, new Snapshot(keys, now2, now2));
            return keys;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException ||
                                          (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return Volatile.Read(ref _snapshot).Keys; // the last good keys (possibly none) keep serving until the next attempt
        }
        finally
        {
            _gate.Release();
        }
    }
}
