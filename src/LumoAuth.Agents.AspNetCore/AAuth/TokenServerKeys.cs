using LumoAuth.Agents.AspNetCore.Keys;
using LumoAuth.Agents.Keys;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.AAuth;

/// <summary>
/// The token server's signing keys for an AAuth resource: configured ones, or fetched from its AAuth metadata's
/// <c>jwks_uri</c> and kept by a <see cref="SigningKeyCache"/> (scheduled refresh, throttled single-flight refresh
/// for unknown key ids, last good keys while the server is down).
/// </summary>
public sealed class TokenServerKeys : IDisposable
{
    /// <summary>The name of the HTTP client used to fetch the keys.</summary>
    public const string HttpClientName = "LumoAuth.Agents.AAuthResource";

    private readonly IOptionsMonitor<AAuthResourceOptions> _options;
    private readonly SigningKeyCache _cache;

    /// <summary>Creates the cache.</summary>
    public TokenServerKeys(IHttpClientFactory http, IOptionsMonitor<AAuthResourceOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        _options = options;
        _cache = new SigningKeyCache(
            ct => TokenServerMetadata.FetchJwksAsync(http.CreateClient(HttpClientName),
                TokenServerMetadata.WellKnown(options.CurrentValue.TokenServer ?? throw new InvalidOperationException("AAuthResourceOptions.TokenServer is not set."), "aauth-issuer"), null, ct),
            () => new SigningKeyCacheOptions { RefreshInterval = options.CurrentValue.KeyRefreshInterval },
            time);
    }

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    /// <summary>
    /// The keys (none when they cannot be had: every token is then refused); <paramref name="unknownKeyId"/> asks
    /// for a refresh because a token named a key not held.
    /// </summary>
    public async ValueTask<IReadOnlyList<SecurityKey>> GetAsync(string? unknownKeyId, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        if (options.TokenServerKeys.Count > 0)
        {
            return [.. options.TokenServerKeys];
        }

        try
        {
            return await _cache.GetAsync(unknownKeyId, cancellationToken);
        }
        catch (SigningKeysUnavailableException)
        {
            return [];
        }
    }
}
