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
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;

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
        var stale = now - _fetchedAt > options.KeyRefreshInterval;
        var missing = unknownKeyId is not null && _keys.All(k => k.KeyId != unknownKeyId) && now - _fetchedAt > UnknownKeyThrottle;
        if (!stale && !missing)
        {
            return _keys;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_fetchedAt != DateTimeOffset.MinValue && _time.GetUtcNow() - _fetchedAt <= UnknownKeyThrottle)
            {
                return _keys;
            }

            var client = _http.CreateClient(HttpClientName);
            var server = options.TokenServer ?? throw new InvalidOperationException("AAuthResourceOptions.TokenServer is not set.");
            using var metadata = await client.GetFromJsonAsync<JsonDocument>(new Uri(server, ".well-known/aauth-issuer"), cancellationToken)
                ?? throw new InvalidOperationException("The token server returned no AAuth metadata.");
            var jwksUri = metadata.RootElement.GetProperty("jwks_uri").GetString() ?? throw new InvalidOperationException("The AAuth metadata has no jwks_uri.");
            var jwks = await client.GetStringAsync(new Uri(jwksUri), cancellationToken);
            _keys = [.. new JsonWebKeySet(jwks).GetSigningKeys()];
            _fetchedAt = _time.GetUtcNow();
            return _keys;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException && _keys.Count > 0)
        {
            return _keys; // the last good keys keep serving while the token server is unreachable
        }
        finally
        {
            _gate.Release();
        }
    }
}
