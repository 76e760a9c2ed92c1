using System.Text;
using System.Text.Json;
using LumoAuth.Agents.Errors;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>The outcome of validating a platform token: the identity, or the refusal with what could be read for the audit.</summary>
public sealed record WorkloadValidation(WorkloadIdentity? Identity, AgentError? Error, string? Issuer = null, string? Subject = null);

/// <summary>
/// Validates a platform's workload token (RFC 8725): bounded size, one compact JWS, the trust chosen by
/// <c>subject_issuer</c> or by exact <c>iss</c> (never by trying every issuer), the algorithm on the issuer's allow-list,
/// the key from the issuer's own source only (<c>jwk</c>, <c>jku</c>, <c>x5u</c>, <c>x5c</c> headers are ignored), exact
/// issuer and audience, expiry with bounded skew, and the issuer's maximum age and lifetime.
/// </summary>
public class WorkloadTokenValidator
{
    private readonly WorkloadKeyCache _keys;
    private readonly IOptionsMonitor<WorkloadOptions> _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>Creates the validator.</summary>
    public WorkloadTokenValidator(WorkloadKeyCache keys, IOptionsMonitor<WorkloadOptions> options, TimeProvider time)
    {
        _keys = keys;
        _options = options;
        _time = time;
    }

    /// <summary>Validates <paramref name="token"/>; <paramref name="subjectIssuer"/> is the request's <c>subject_issuer</c>, if any.</summary>
    public virtual async ValueTask<WorkloadValidation> ValidateAsync(string token, string? subjectIssuer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        var options = _options.CurrentValue;
        if (Encoding.UTF8.GetByteCount(token) > options.MaxTokenBytes)
        {
            return Refuse(AgentErrorCodes.WorkloadTokenTooLarge, OAuthErrors.InvalidRequest, $"The subject token is larger than {options.MaxTokenBytes} bytes.");
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return Refuse(AgentErrorCodes.WorkloadTokenMalformed, OAuthErrors.InvalidRequest, parts.Length == 5
                ? "The subject token is encrypted (JWE); a platform identity token must be a signed compact JWS."
                : "The subject token is not a compact JWS (header.payload.signature).");
        }

        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return Refuse(AgentErrorCodes.WorkloadTokenMalformed, OAuthErrors.InvalidRequest, "The subject token is not a readable JWS.");
        }

        string? claimedIssuer = unverified.TryGetPayloadValue<string>("iss", out var iss) ? iss : null;
        string? claimedSubject = unverified.TryGetPayloadValue<string>("sub", out var sub) ? sub : null;
        WorkloadValidation Fail(string code, string description) => new(null, new AgentError(code, OAuthErrors.InvalidGrant, description), claimedIssuer, claimedSubject);

        WorkloadIssuer? trust;
        if (!string.IsNullOrEmpty(subjectIssuer))
        {
            trust = options.FindByName(subjectIssuer);
            if (trust is null)
            {
                return Fail(AgentErrorCodes.WorkloadIssuerUnknown, $"No trusted workload issuer is named '{subjectIssuer}'.");
            }

            if (!string.Equals(trust.Issuer, claimedIssuer, StringComparison.Ordinal))
            {
                return Fail(AgentErrorCodes.WorkloadIssuerMismatch, $"The token's issuer is not the one trusted as '{subjectIssuer}'.");
            }
        }
        else
        {
            trust = claimedIssuer is null ? null : options.FindByIssuer(claimedIssuer);
            if (trust is null)
            {
                return Fail(AgentErrorCodes.WorkloadIssuerUnknown, "The token's issuer is not a trusted workload issuer.");
            }
        }

        if (!trust.EffectiveAlgorithms.Contains(unverified.Alg, StringComparer.Ordinal))
        {
            return Fail(AgentErrorCodes.WorkloadAlgorithmNotAllowed, $"The algorithm '{ErrorText.Printable(unverified.Alg)}' is not allowed for issuer '{trust.Name}'.");
        }

        JsonWebKey? key;
        try
        {
            key = (JsonWebKey?)await _keys.FindAsync(trust, string.IsNullOrEmpty(unverified.Kid) ? null : unverified.Kid, cancellationToken);
        }
        catch (WorkloadKeyFetchException)
        {
            return Fail(AgentErrorCodes.WorkloadKeysUnavailable, $"The keys of issuer '{trust.Name}' cannot be fetched and no recent copy is held.");
        }

        if (key is null)
        {
            return Fail(AgentErrorCodes.WorkloadKeyUnknown, $"Issuer '{trust.Name}' has no signing key '{ErrorText.Printable(unverified.Kid)}'.");
        }

        if (key.Alg is { Length: > 0 } keyAlg && !string.Equals(keyAlg, unverified.Alg, StringComparison.Ordinal))
        {
            return Fail(AgentErrorCodes.WorkloadAlgorithmNotAllowed, $"The key '{ErrorText.Printable(key.Kid)}' is for '{keyAlg}', not '{ErrorText.Printable(unverified.Alg)}'.");
        }

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = trust.Issuer,
            ValidAudiences = trust.Audiences,
            IgnoreTrailingSlashWhenValidatingAudience = false,
            ValidAlgorithms = trust.EffectiveAlgorithms,
            // The one key chosen above from the issuer's own keys, whatever the header names (jwk, jku, x5c ignored).
            IssuerSigningKeyResolver = (_, _, _, _) => [key],
            TryAllIssuerSigningKeys = false,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            RequireAudience = true,
            // Times are checked below against the server's TimeProvider, with the issuer's skew.
            ValidateLifetime = false,
        });

        if (!result.IsValid)
        {
            return result.Exception switch
            {
                SecurityTokenInvalidAudienceException => Fail(AgentErrorCodes.WorkloadAudienceInvalid, $"The workload token is not meant for this server (aud); issuer '{trust.Name}' must mint it for one of its configured audiences."),
                SecurityTokenNoExpirationException => Fail(AgentErrorCodes.WorkloadTokenInvalid, "The workload token has no expiry."),
                SecurityTokenInvalidAlgorithmException => Fail(AgentErrorCodes.WorkloadAlgorithmNotAllowed, $"The algorithm is not allowed for issuer '{trust.Name}'."),
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException =>
                    Fail(AgentErrorCodes.WorkloadSignatureInvalid, $"The signature does not verify with issuer '{trust.Name}''s key."),
                _ => Fail(AgentErrorCodes.WorkloadTokenInvalid, "The workload token is not valid."),
            };
        }

        var verified = (JsonWebToken)result.SecurityToken;
        if (!trust.AllowMultipleAudiences && verified.Audiences.Count() != 1)
        {
            return Fail(AgentErrorCodes.WorkloadAudienceInvalid, $"The workload token names several audiences; issuer '{trust.Name}' is trusted for tokens meant for this server alone.");
        }

        var now = _time.GetUtcNow();
        if (!verified.TryGetPayloadValue<long>("iat", out var iatSeconds))
        {
            return Fail(AgentErrorCodes.WorkloadTokenTooOld, "The workload token has no issue time (iat), so its age cannot be bounded.");
        }

        if (!verified.TryGetPayloadValue<long>("exp", out var expSeconds))
        {
            return Fail(AgentErrorCodes.WorkloadTokenInvalid, "The workload token has no expiry.");
        }

        if (!InRange(iatSeconds) || !InRange(expSeconds))
        {
            return Fail(AgentErrorCodes.WorkloadTokenInvalid, "The workload token's times are out of range.");
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(iatSeconds);
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expSeconds);
        if (now > expiresAt + trust.ClockSkew)
        {
            return Fail(AgentErrorCodes.WorkloadTokenExpired, "The workload token has expired.");
        }

        if (verified.TryGetPayloadValue<long>("nbf", out var nbfSeconds) && (!InRange(nbfSeconds) || DateTimeOffset.FromUnixTimeSeconds(nbfSeconds) > now + trust.ClockSkew))
        {
            return Fail(AgentErrorCodes.WorkloadTokenNotYetValid, "The workload token is not valid yet (nbf).");
        }

        if (issuedAt > now + trust.ClockSkew)
        {
            return Fail(AgentErrorCodes.WorkloadTokenNotYetValid, "The workload token was issued in the future.");
        }

        if (now - issuedAt > trust.MaxTokenAge + trust.ClockSkew)
        {
            return Fail(AgentErrorCodes.WorkloadTokenTooOld, $"The workload token is older than {trust.MaxTokenAge} allowed for issuer '{trust.Name}'.");
        }

        if (expiresAt - issuedAt > trust.MaxTokenLifetime)
        {
            return Fail(AgentErrorCodes.WorkloadTokenLifetimeTooLong, $"The workload token lives longer than {trust.MaxTokenLifetime} allowed for issuer '{trust.Name}'.");
        }

        if (string.IsNullOrEmpty(verified.Subject))
        {
            return Fail(AgentErrorCodes.WorkloadTokenInvalid, "The workload token has no subject.");
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(parts[1]));
        return new WorkloadValidation(new WorkloadIdentity
        {
            IssuerName = trust.Name,
            Issuer = trust.Issuer,
            Subject = verified.Subject,
            ExpiresAt = expiresAt,
            Claims = payload.RootElement.Clone(),
        }, null, trust.Issuer, verified.Subject);
    }

    private static bool InRange(long unixSeconds) => unixSeconds is >= 0 and <= 253402300799; // up to 9999-12-31

    private static WorkloadValidation Refuse(string code, string oauthError, string description) =>
        new(null, new AgentError(code, oauthError, description));
}
