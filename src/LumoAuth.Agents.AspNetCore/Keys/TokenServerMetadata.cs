using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.Keys;

/// <summary>Where and how a resource reads the token server's keys; kept by a <see cref="LumoAuth.Agents.Keys.SigningKeyCache"/>.</summary>
public static class TokenServerMetadata
{
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
