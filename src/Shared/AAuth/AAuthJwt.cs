using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Shared;

/// <summary>
/// Validation of the JWTs AAuth passes around (agent, resource, auth and refresh tokens), the same strict way
/// wherever they are checked: size bound, explicit <c>typ</c>, exact issuer and audience, an asymmetric algorithm
/// from an allow-list, a required expiry and 30 seconds of skew.
/// </summary>
internal static class AAuthJwt
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>The largest token accepted for validation.</summary>
    public const int MaxTokenLength = 16 * 1024;

    /// <summary>Validates a token with <paramref name="keys"/>: signature, <c>typ</c>, issuer, audience and lifetime.</summary>
    public static async ValueTask<AAuthJwtCheck> ValidateAsync(string? token, string type, string issuer, string? audience, IReadOnlyList<SecurityKey> keys)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength || token.Count(c => c == '.') != 2)
        {
            return new AAuthJwtCheck(null, TokenFailure.Malformed, TokenValidationText.Describe(TokenFailure.Malformed, "audience", "its issuer", type));
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
            var failure = TokenValidationText.Classify(result.Exception);
            return new AAuthJwtCheck(null, failure, TokenValidationText.Describe(failure, "audience", "its issuer", type));
        }

        return new AAuthJwtCheck((JsonWebToken)result.SecurityToken, TokenFailure.None, null);
    }

    /// <summary>The <c>iss</c> a token claims, read without validating it (to choose the keys to validate it with); null when it is not a JWT.</summary>
    public static string? UnvalidatedIssuer(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return null;
        }

        try
        {
            return new JsonWebToken(token).Issuer;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The key a validated agent token vouches for (<c>cnf.jwk</c>), or false when it carries none usable.</summary>
    public static bool TryConfirmationKey(JsonWebToken token, out LumoAuth.Agents.HttpSignatures.Keys.HttpSignatureKey? key)
    {
        key = null;
        return ClaimJson(token, "cnf") is { ValueKind: JsonValueKind.Object } cnf && cnf.TryGetProperty("jwk", out var jwk) &&
               LumoAuth.Agents.HttpSignatures.Keys.HttpSignatureKey.TryFromPublicJwk(jwk, null, out key, out _);
    }

    /// <summary>The origin of <paramref name="request"/> as an issuer: scheme, host and path base, with a trailing slash.</summary>
    public static string OriginOf(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), request.PathBase.ToUriComponent(), "/");
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

/// <summary>The outcome of <see cref="AAuthJwt.ValidateAsync"/>: the token, or the kind of failure and its words.</summary>
/// <param name="Token">The validated token, or <see langword="null"/>.</param>
/// <param name="Failure">Why it failed (<see cref="TokenFailure.None"/> when it validated); what code branches on.</param>
/// <param name="Error">The failure in words, for descriptions only.</param>
internal readonly record struct AAuthJwtCheck(JsonWebToken? Token, TokenFailure Failure, string? Error)
{
    /// <summary>The token and the words, for callers that only report the failure.</summary>
    public void Deconstruct(out JsonWebToken? token, out string? error)
    {
        token = Token;
        error = Error;
    }
}
