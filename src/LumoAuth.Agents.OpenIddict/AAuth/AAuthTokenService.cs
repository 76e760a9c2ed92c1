using LumoAuth.Agents.Shared;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// Mints and validates the AAuth tokens this server issues (agent, auth and refresh tokens), signed with the
/// server's own signing keys so resources verify them with the same JWKS as every other token, and validates the
/// resource tokens resources mint, with the keys configured for each resource.
/// </summary>
internal sealed class AAuthTokenService
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly IOptionsMonitor<OpenIddictServerOptions> _server;

    /// <summary>Creates the service.</summary>
    public AAuthTokenService(IOptionsMonitor<OpenIddictServerOptions> server) => _server = server;

    /// <summary>Mints a token of <paramref name="type"/>.</summary>
    public string Create(string type, string issuer, string audience, string subject, IDictionary<string, object> claims, DateTimeOffset issuedAt, DateTimeOffset expiresAt, out string tokenId)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var credentials = _server.CurrentValue.SigningCredentials.FirstOrDefault(c => c.Key is AsymmetricSecurityKey)
            ?? throw new InvalidOperationException("The server has no asymmetric signing key; AAuth tokens must be verifiable by resources.");
        tokenId = Guid.NewGuid().ToString("N");
        var payload = new Dictionary<string, object>(claims, StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Jti] = tokenId,
            [JwtRegisteredClaimNames.Sub] = subject,
        };
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = issuer,
            Audience = audience,
            Claims = payload,
            IssuedAt = issuedAt.UtcDateTime,
            NotBefore = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            SigningCredentials = credentials,
        });
    }

    /// <summary>Validates a token this server issued: signature, type, issuer, audience (when given) and lifetime.</summary>
    internal async ValueTask<AAuthJwtCheck> ValidateOwnAsync(string? token, string type, string issuer, string? audience)
    {
        var keys = _server.CurrentValue.SigningCredentials.Select(c => c.Key).ToList();
        return await AAuthJwt.ValidateAsync(token, type, issuer, audience, keys);
    }
}
