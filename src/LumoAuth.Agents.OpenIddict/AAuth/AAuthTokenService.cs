using System.Text.Json;
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
public sealed class AAuthTokenService
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly IOptionsMonitor<OpenIddictServerOptions> _server;

    /// <summary>Creates the service.</summary>
    public AAuthTokenService(IOptionsMonitor<OpenIddictServerOptions> server) => _server = server;

    /// <summary>The largest token accepted for validation.</summary>
    public const int MaxTokenLength = 16 * 1024;

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
    public async ValueTask<(JsonWebToken? Token, string? Error)> ValidateOwnAsync(string? token, string type, string issuer, string? audience)
    {
        var keys = _server.CurrentValue.SigningCredentials.Select(c => c.Key).ToList();
        return await ValidateAsync(token, type, issuer, audience, keys);
    }

    /// <summary>Validates a token with <paramref name="keys"/>: signature, <c>typ</c>, issuer, audience and lifetime.</summary>
    public static async ValueTask<(JsonWebToken? Token, string? Error)> ValidateAsync(string? token, string type, string issuer, string? audience, IReadOnlyList<SecurityKey> keys)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength || token.Count(c => c == '.') != 2)
        {
            return (null, "it is not a signed JWT of reasonable size");
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidTypes = [type],
            ValidIssuer = issuer,
            ValidateAudience = audience is not null,
            ValidAudience = audience,
            IssuerSigningKeys = keys,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.RsaSsaPssSha512, "EdDSA"],
        });
        if (!result.IsValid)
        {
            return (null, result.Exception switch
            {
                SecurityTokenExpiredException => "it has expired",
                SecurityTokenInvalidTypeException => $"it is not of type {type}",
                SecurityTokenInvalidIssuerException => "its issuer is not the expected one",
                SecurityTokenInvalidAudienceException => "its audience is not the expected one",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature does not verify",
                SecurityTokenNotYetValidException => "it is not valid yet",
                _ => "it does not validate",
            });
        }

        return ((JsonWebToken)result.SecurityToken, null);
    }

    /// <summary>A claim of a validated token as JSON (for objects such as <c>cnf</c> and <c>act</c>).</summary>
    public static JsonElement? ClaimJson(JsonWebToken token, string name)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.TryGetPayloadValue<JsonElement>(name, out var value))
        {
            return null;
        }

        return value;
    }

    /// <summary>A string claim of a validated token.</summary>
    public static string? ClaimString(JsonWebToken token, string name)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.TryGetPayloadValue<string>(name, out var value) ? value : null;
    }
}
