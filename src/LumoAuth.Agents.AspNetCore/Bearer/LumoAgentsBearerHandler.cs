using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Keys;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Dpop;
using LumoAuth.Agents.Keys;
using LumoAuth.Agents.Shared;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.Bearer;

/// <summary>A bearer token was refused: the RFC 6750 error and a description for the caller.</summary>
public sealed class BearerTokenRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BearerTokenRefusedException(string error, string description)
        : base(description)
    {
        Error = error;
    }

    /// <summary>Creates the exception.</summary>
    public BearerTokenRefusedException()
        : this("invalid_token", "The access token is refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public BearerTokenRefusedException(string message)
        : this("invalid_token", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BearerTokenRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = "invalid_token";
    }

    /// <summary>The RFC 6750 error: <c>invalid_request</c> or <c>invalid_token</c>; RFC 9449's <c>invalid_dpop_proof</c>.</summary>
    public string Error { get; }

    /// <summary>The authentication scheme the token came with, and the challenge answers in: <c>Bearer</c> or <c>DPoP</c>.</summary>
    public string Scheme { get; init; } = "Bearer";
}

/// <summary>The token server's keys for each bearer scheme, kept for the life of the application.</summary>
public sealed class BearerSigningKeys : IDisposable
{
    private readonly Dictionary<string, SigningKeyCache> _caches = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly IHttpClientFactory _http;
    private readonly IOptionsMonitor<LumoAgentsBearerOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the holder.</summary>
    public BearerSigningKeys(IHttpClientFactory http, IOptionsMonitor<LumoAgentsBearerOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
    }

    /// <summary>The cache of the scheme <paramref name="scheme"/>.</summary>
    public SigningKeyCache For(string scheme)
    {
        lock (_lock)
        {
            if (!_caches.TryGetValue(scheme, out var cache))
            {
                cache = new SigningKeyCache(
                    ct => TokenServerMetadata.FetchJwksAsync(_http.CreateClient(LumoAgentsBearerDefaults.HttpClientName), _options.Get(scheme).ResolvedMetadataAddress,
                        _options.Get(scheme).Issuer!.AbsoluteUri, ct),
                    () => _options.Get(scheme).KeyCache,
                    _time);
                _caches[scheme] = cache;
            }

            return cache;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var cache in _caches.Values)
        {
            cache.Dispose();
        }
    }
}

/// <summary>
/// Authenticates requests carrying the token server's access tokens (<c>Authorization: Bearer</c>, RFC 6750 §2.1
/// only — never a query parameter), validated the strict way of RFC 9068 and RFC 8725: a signed JWT (an encrypted
/// or unsigned one is refused), <c>typ</c> <c>at+jwt</c>, an algorithm from the allow-list, exact issuer, one of
/// this resource's audiences, a required expiry within the configured skew, a <c>sub</c>, and a well-formed
/// <c>act</c> chain. Refusals are 401 with <c>WWW-Authenticate: Bearer error="invalid_token"</c> (or 400
/// <c>invalid_request</c>) and a description.
/// </summary>
internal sealed partial class LumoAgentsBearerHandler : AuthenticationHandler<LumoAgentsBearerOptions>
{
    private const int MaxTokenLength = 16 * 1024;
    private const string DpopScheme = "DPoP";
    private string _presentedScheme = "Bearer";
    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };
    private readonly BearerSigningKeys _keys;

    /// <summary>Creates the handler.</summary>
    public LumoAgentsBearerHandler(IOptionsMonitor<LumoAgentsBearerOptions> options, ILoggerFactory logger, UrlEncoder encoder, BearerSigningKeys keys)
        : base(options, logger, encoder)
    {
        _keys = keys;
    }

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers.Authorization;
        var bearer = headers.FirstOrDefault(h => h is not null && (h.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || h.StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase)));
        if (bearer is null)
        {
            if (headers.FirstOrDefault(h => h?.Trim() is { } bare && (bare.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || bare.Equals(DpopScheme, StringComparison.OrdinalIgnoreCase))) is { } empty)
            {
                _presentedScheme = empty.Trim().Equals(DpopScheme, StringComparison.OrdinalIgnoreCase) ? DpopScheme : "Bearer";
                return await RefuseAsync("invalid_request", "The Authorization header names its scheme but carries no token.");
            }

            return AuthenticateResult.NoResult(); // no bearer or DPoP token: another scheme (or none) applies
        }

        // RFC 9449 §7.1: a DPoP-bound token comes as "Authorization: DPoP <token>" with a proof in the DPoP header.
        _presentedScheme = bearer.StartsWith("DPoP ", StringComparison.OrdinalIgnoreCase) ? DpopScheme : "Bearer";
        if (headers.Count > 1)
        {
            return await RefuseAsync("invalid_request", "The request carries more than one Authorization header.");
        }

        var token = bearer[(bearer.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim();
        if (token.AsSpan().IndexOfAny(", \t") >= 0)
        {
            return await RefuseAsync("invalid_request", "The Authorization header carries more than one credential (a bearer token has no commas or spaces).");
        }

        if (token.Length == 0 || token.Length > MaxTokenLength || token.Count(c => c == '.') != 2)
        {
            return await RefuseAsync("invalid_token", "The access token is not a signed JWT of reasonable size (encrypted and unsigned tokens are not accepted).");
        }

        JsonWebToken unvalidated;
        try
        {
            unvalidated = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return await RefuseAsync("invalid_token", "The access token is not a well-formed JWT.");
        }

        if (!string.Equals(unvalidated.Typ, "at+jwt", StringComparison.OrdinalIgnoreCase) && !string.Equals(unvalidated.Typ, "application/at+jwt", StringComparison.OrdinalIgnoreCase))
        {
            return await RefuseAsync("invalid_token", "The token is not an access token: its typ must be 'at+jwt' (RFC 9068), so an ID token or another JWT cannot be used here.");
        }

        if (!Options.Algorithms.Contains(unvalidated.Alg, StringComparer.Ordinal))
        {
            return await RefuseAsync("invalid_token", $"The access token's algorithm '{unvalidated.Alg}' is not accepted here.");
        }

        IReadOnlyList<SecurityKey> keys;
        try
        {
            keys = Options.SigningKeys.Count > 0 ? [.. Options.SigningKeys] : await _keys.For(Scheme.Name).GetAsync(unvalidated.Kid, Context.RequestAborted);
        }
        catch (SigningKeysUnavailableException exception)
        {
            LogKeysUnavailable(Logger, exception.Message);
            return await RefuseAsync("invalid_token", "The access token cannot be verified now: the token server's keys are not available.");
        }

        var result = await Tokens.ValidateTokenAsync(unvalidated, new TokenValidationParameters
        {
            ValidIssuer = Options.Issuer!.AbsoluteUri,
            ValidAudiences = Options.AcceptedAudiences,
            IssuerSigningKeys = keys,
            ValidAlgorithms = Options.Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = Options.ClockSkew,
            TryAllIssuerSigningKeys = false,
            ValidateIssuerSigningKey = false,
            NameClaimType = "sub",
            RoleClaimType = "role",
            AuthenticationType = Scheme.Name,
        });
        if (!result.IsValid)
        {
            return await RefuseAsync("invalid_token", "The access token is refused: " + TokenValidationText.Describe(result.Exception, "resource", "the token server") + ".");
        }

        var validated = (JsonWebToken)result.SecurityToken;
        if (validated.TryGetPayloadValue<long>("iat", out var issuedAt) && DateTimeOffset.FromUnixTimeSeconds(issuedAt) > TimeProvider.GetUtcNow() + Options.ClockSkew)
        {
            return await RefuseAsync("invalid_token", "The access token is refused: it was issued in the future.");
        }

        if (Options.RequireSingleAudience && validated.Audiences.Count() != 1)
        {
            return await RefuseAsync("invalid_token", "The access token is refused: it names more than one audience, which this resource does not accept.");
        }

        if (string.IsNullOrEmpty(validated.Subject))
        {
            return await RefuseAsync("invalid_token", "The access token has no subject.");
        }

        if (await CheckProofOfPossessionAsync(validated, token) is { } refused)
        {
            return refused;
        }

        var act = validated.TryGetPayloadValue<JsonElement>("act", out var actElement) ? actElement.GetRawText() : null;
        if (!ActorChain.TryParse(act, out var chain, out var chainError))
        {
            return await RefuseAsync("invalid_token", "The access token's act claim is malformed: " + chainError);
        }

        var identity = new ClaimsIdentity(result.ClaimsIdentity.Claims, Scheme.Name, "sub", "role") { Label = AgentCaller.IdentityLabel };
        var principal = new ClaimsPrincipal(identity);
        AgentCallerExtensions.Remember(Context, principal, AgentCaller.From(validated.Subject, chain, ScopesOf(validated), ClaimOrNull(validated, "client_id")));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    /// <summary>
    /// RFC 9449 §7: a token bound to a key (<c>cnf.jkt</c>) is accepted only as <c>DPoP</c>, with a proof by that key
    /// for this request and this token; sent as <c>Bearer</c> it is refused (no downgrade). A token sent as <c>DPoP</c>
    /// must be bound.
    /// </summary>
    private async Task<AuthenticateResult?> CheckProofOfPossessionAsync(JsonWebToken token, string raw)
    {
        var jkt = token.TryGetPayloadValue<JsonElement>("cnf", out var cnf) ? LumoAuth.Agents.Shared.DpopBinding.Thumbprint(cnf) : null;
        if (_presentedScheme != DpopScheme)
        {
            return jkt is null ? null : await RefuseAsync("invalid_token", "The access token is bound to a key (DPoP): send it as 'Authorization: DPoP' with a proof, not as a bearer token.");
        }

        if (jkt is null)
        {
            return await RefuseAsync("invalid_token", "The access token is not bound to a key: send it as a bearer token.");
        }

        var validator = Context.RequestServices.GetRequiredService<DpopProofValidator>();
        var nonces = Options.Dpop.Nonces(TimeProvider);
        if (nonces is not null)
        {
            Response.Headers["DPoP-Nonce"] = nonces.Current(); // RFC 9449 §9: the nonce for the next proof
        }

        var outcome = await validator.ValidateAsync(new DpopProofRequest
        {
            Proofs = [.. Request.Headers[DpopScheme].Select(p => p ?? string.Empty)],
            Method = Request.Method,
            Uri = LumoAuth.Agents.Shared.DpopBinding.Target(Request),
            AccessToken = raw,
            ExpectedThumbprint = jkt,
            NonceIsValid = nonces is null ? null : nonces.IsValid,
        }, Options.Dpop, Context.RequestAborted);
        return outcome.Proof is null ? await RefuseAsync(outcome.Error!, outcome.Description!) : null;
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var refused = result.Failure as BearerTokenRefusedException;
        var status = refused?.Error == "invalid_request" ? 400 : 401;
        var parameters = new List<string>();
        if (Options.Realm is { } realm)
        {
            parameters.Add($"realm=\"{OAuthErrorResponse.Quote(realm)}\"");
        }

        if (Options.Resource is { } resource)
        {
            parameters.Add($"resource_metadata=\"{ProtectedResourceMetadata.AddressOf(resource).AbsoluteUri}\"");
        }

        if (refused is not null)
        {
            parameters.Add($"error=\"{refused.Error}\"");
            parameters.Add($"error_description=\"{OAuthErrorResponse.Quote(refused.Message)}\"");
        }

        var challenge = refused?.Scheme ?? "Bearer";
        if (challenge == DpopScheme)
        {
            parameters.Add($"algs=\"{string.Join(' ', Options.Dpop.Algorithms)}\"");
        }

        Response.Headers.WWWAuthenticate = parameters.Count == 0 ? challenge : challenge + " " + string.Join(", ", parameters);
        if (refused is not null)
        {
            await OAuthErrorResponse.WriteAsync(Context, status, refused.Error, refused.Message);
        }
        else
        {
            Response.StatusCode = status;
            Response.Headers.CacheControl = "no-store";
        }
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AgentForbiddenResponse.WriteAsync(Context, "The access token does not permit this request.", null, Options.Resource);

    private static string[] ScopesOf(JsonWebToken token)
    {
        if (token.TryGetPayloadValue<string>("scope", out var scope))
        {
            return scope.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        return token.TryGetPayloadValue<string[]>("scope", out var scopes) ? scopes : [];
    }

    private static string? ClaimOrNull(JsonWebToken token, string name) => token.TryGetPayloadValue<string>(name, out var value) ? value : null;

    private async Task<AuthenticateResult> RefuseAsync(string error, string description)
    {
        LogRefused(Logger, error, description);
        await ResourceAudit.RecordRefusalAsync(Context, error, LumoAuth.Agents.Errors.AgentErrorCodes.AccessTokenInvalid, description, null);
        return AuthenticateResult.Fail(new BearerTokenRefusedException(error, description) { Scheme = _presentedScheme });
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.BearerTokenRefused, EventName = nameof(LumoAgentsEventIds.BearerTokenRefused), Level = LogLevel.Information, Message = "Bearer token refused ({Error}): {Description}")]
    private static partial void LogRefused(ILogger logger, string error, string description);

    [LoggerMessage(EventId = LumoAgentsEventIds.SigningKeysUnavailable, EventName = nameof(LumoAgentsEventIds.SigningKeysUnavailable), Level = LogLevel.Warning, Message = "The token server's signing keys are not available: {Reason}")]
    private static partial void LogKeysUnavailable(ILogger logger, string reason);
}
