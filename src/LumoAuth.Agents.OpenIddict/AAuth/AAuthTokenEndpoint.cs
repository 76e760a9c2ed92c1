using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Verification;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// The AAuth token endpoint (seed pattern 4): <c>POST .../aauth/agent/token</c> with a JSON body and a request
/// signature (RFC 9421 headers with <c>Signature-Key</c>, or the seed's <c>Agent-Auth</c>). Request types:
/// <c>agent</c> (an agent token for a registered agent signing with an enrolled key), <c>auth</c> (agent token +
/// resource token + scope → key-bound auth token), <c>refresh</c>, and <c>exchange</c> (an agent called by another
/// agent continues the chain to the next resource). Every issuance and refusal is audited before the response.
/// </summary>
internal sealed partial class AAuthTokenEndpoint
{
    private readonly AAuthSignatureVerifier _verifier;
    private readonly AAuthTokenService _tokens;
    private readonly AAuthPolicy _policy;
    private readonly IAgentStore _agents;
    private readonly BudgetGate _budgets;
    private readonly AuditTrail _trail;
    private readonly IOptionsMonitor<AAuthOptions> _options;
    private readonly IOptionsMonitor<OpenIddictServerOptions> _server;
    private readonly TimeProvider _time;
    private readonly ILogger<AAuthTokenEndpoint> _logger;
    private readonly IOptionsMonitor<Configuration.LumoAgentsOptions> _agentOptions;

    /// <summary>Creates the endpoint.</summary>
    public AAuthTokenEndpoint(AAuthSignatureVerifier verifier, AAuthTokenService tokens, AAuthPolicy policy, IAgentStore agents, BudgetGate budgets, AuditTrail trail,
        IOptionsMonitor<AAuthOptions> options, IOptionsMonitor<OpenIddictServerOptions> server, TimeProvider time, ILogger<AAuthTokenEndpoint> logger,
        IOptionsMonitor<Configuration.LumoAgentsOptions> agentOptions)
    {
        _agentOptions = agentOptions;
        _verifier = verifier;
        _tokens = tokens;
        _policy = policy;
        _agents = agents;
        _budgets = budgets;
        _trail = trail;
        _options = options;
        _server = server;
        _time = time;
        _logger = logger;
    }

    /// <summary>The issuer of this server as seen from <paramref name="request"/>.</summary>
    public static string IssuerOf(HttpRequest request, OpenIddictServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(server);
        return server.Issuer?.AbsoluteUri ?? AAuthJwt.OriginOf(request);
    }

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var ct = http.RequestAborted;
        var audit = new AuditNotes { Context = new AuditContext { GrantType = "aauth", ClientIp = http.Connection.RemoteIpAddress?.ToString() } };
        var outcome = await DecideAsync(http, audit, ct);
        await RespondAsync(http, outcome, audit.Context, ct);
    }

    private sealed record Outcome(IssuanceDecision? Decision, AgentError? ProtocolError, JsonObject? Body, int Status = 200, string? SignatureError = null, DateTimeOffset? RetryAt = null, string? TokenId = null);

    private static Outcome Protocol(string code, string error, string description, int status = 400, string? signatureError = null) =>
        new(null, new AgentError(code, error, description), null, status, signatureError);

    private async Task<Outcome> DecideAsync(HttpContext http, AuditNotes audit, CancellationToken ct)
    {
        var options = _options.CurrentValue;
        var issuer = IssuerOf(http.Request, _server.CurrentValue);
        if (!HttpMethods.IsPost(http.Request.Method) || http.Request.ContentType is not { } contentType ||
            !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Protocol(AgentErrorCodes.ProtocolError, OAuthErrors.InvalidRequest, "The AAuth token endpoint takes a POST with a JSON body (Content-Type: application/json).");
        }

        if (await SignedRequestReader.ReadAsync(http.Request, ct) is not var (message, body))
        {
            return Protocol(AgentErrorCodes.ProtocolError, OAuthErrors.InvalidRequest, "The request body is larger than the endpoint accepts.");
        }

        if (!TryReadBody(body, out var parameters, out var bodyError, out var bodyCode))
        {
            return Protocol(bodyCode, OAuthErrors.InvalidRequest, bodyError);
        }

        var type = parameters.GetValueOrDefault("request_type");
        var known = type is AAuthConstants.RequestAgent or AAuthConstants.RequestAuth or AAuthConstants.RequestRefresh or AAuthConstants.RequestExchange;
        audit.Context = audit.Context with { GrantType = "aauth:" + (known ? type : "unknown"), ScopesRequested = parameters.GetValueOrDefault("scope") };
        if (!known)
        {
            return Protocol(AgentErrorCodes.RequestTypeUnsupported, OAuthErrors.InvalidRequest, "'request_type' must be one of agent, auth, refresh, exchange.");
        }

        // The signature proves the agent: its key comes from the agent token (Signature-Key jwt / Agent-Auth jwt) or,
        // for an agent-token request, from the keys the agent enrolled.
        string? agentId = null;
        string? agentTokenSubject = null;
        var vouchedByProvider = false;
        string? keyRefusal = null;
        var signature = await _verifier.VerifyAsync(message, body, options.SignatureMaxAge, async (conveyed, keyId, token) =>
        {
            if (conveyed is { Scheme: ConveyedKey.JwtScheme, Jwt: { } jwt } && type != AAuthConstants.RequestAgent)
            {
                if (parameters.TryGetValue("agent_token", out var inBody) && !string.Equals(inBody, jwt, StringComparison.Ordinal))
                {
                    return ConveyedKeyResolution.Refuse(SignatureErrors.InvalidKey, "The agent token in the body differs from the one conveyed with the signature.");
                }

                // This server's own agent token, or one from a trusted agent provider mapped to a registered agent.
                JsonWebToken? agentToken;
                string? error;
                var failure = TokenFailure.None;
                string? id = null;
                var claimedIssuer = AAuthJwt.UnvalidatedIssuer(jwt);
                var provider = claimedIssuer == issuer ? null : options.AgentProviders.FirstOrDefault(p => p.Issuer?.AbsoluteUri == claimedIssuer);
                if (provider is not null)
                {
                    var providerKeys = provider.SigningKeys.Select(k => (SecurityKey)new JsonWebKey(k)).ToList();
                    var check = await AAuthJwt.ValidateAsync(jwt, AAuthConstants.AgentTokenType, provider.Issuer!.AbsoluteUri, issuer, providerKeys);
                    (agentToken, error, failure) = (check.Token, check.Error, check.Failure);
                    if (agentToken is not null && !provider.Agents.TryGetValue(agentToken.Subject, out id))
                    {
                        (agentToken, error) = (null, "the provider's agent is not mapped to an agent registered here");
                    }
                }
                else
                {
                    var check = await _tokens.ValidateOwnAsync(jwt, AAuthConstants.AgentTokenType, issuer, issuer);
                    (agentToken, error, failure) = (check.Token, check.Error, check.Failure);
                    if (agentToken is not null && !LumoAuth.Agents.Subjects.SubjectIdentifier.TryGetAgentId(agentToken.Subject, out id))
                    {
                        (agentToken, error) = (null, "it names no agent");
                    }
                }

                if (agentToken is null || id is null)
                {
                    keyRefusal = AgentErrorCodes.AgentTokenInvalid;
                    return ConveyedKeyResolution.Refuse(failure == TokenFailure.Expired ? "expired_jwt" : "invalid_jwt", $"The agent token is refused: {error ?? "it names no agent"}.");
                }

                if (!AAuthJwt.TryConfirmationKey(agentToken, out var key))
                {
                    keyRefusal = AgentErrorCodes.AgentTokenInvalid;
                    return ConveyedKeyResolution.Refuse("invalid_jwt", "The agent token carries no usable cnf.jwk.");
                }

                agentId = id;
                agentTokenSubject = agentToken.Subject;
                vouchedByProvider = provider is not null;
                return new ConveyedKeyResolution(key, null, null, agentToken);
            }

            if (type != AAuthConstants.RequestAgent)
            {
                return ConveyedKeyResolution.Refuse(SignatureErrors.InvalidKey, "This request must convey the agent token with its signature (Signature-Key: sig=jwt;jwt=\"...\").");
            }

            // One answer for an unknown agent and an unenrolled key, so the endpoint does not reveal which agents exist.
            const string NotEnrolled = "The key is not one enrolled by the agent named in 'agent_id'.";
            if (!parameters.TryGetValue("agent_id", out var claimed) || await _agents.FindAsync(claimed, token) is not { } agent)
            {
                keyRefusal = AgentErrorCodes.AgentKeyNotEnrolled;
                return ConveyedKeyResolution.Refuse(SignatureErrors.UnknownKey, NotEnrolled);
            }

            var thumbprint = keyId;
            if (conveyed is { Scheme: ConveyedKey.InlineKey, Jwk: { } inline })
            {
                using var document = JsonDocument.Parse(inline.ToJsonString());
                if (!HttpSignatureKey.TryFromPublicJwk(document.RootElement, null, out var conveyedKey, out var keyError))
                {
                    return ConveyedKeyResolution.Refuse(SignatureErrors.InvalidKey, "The inline key is not usable: " + keyError);
                }

                using (conveyedKey)
                {
                    thumbprint = conveyedKey!.Thumbprint;
                }
            }

            if (thumbprint is null || AgentSigningKeys.Find(agent, thumbprint) is not { } enrolled)
            {
                keyRefusal = AgentErrorCodes.AgentKeyNotEnrolled;
                return ConveyedKeyResolution.Refuse(SignatureErrors.UnknownKey, NotEnrolled);
            }

            agentId = agent.Id;
            return new ConveyedKeyResolution(enrolled, null, null);
        }, ct);

        audit.Context = audit.Context with { AgentId = agentId, ClientId = agentId };
        if (!signature.Succeeded)
        {
            var description = "The request signature is refused: " + signature.Signature.Description;
            return Protocol(keyRefusal ?? AgentErrorCodes.SignatureInvalid, OAuthErrors.InvalidClient, description, 401, signature.Signature.ToSignatureErrorHeader());
        }

        var agentProfile = await _agents.FindAsync(agentId!, ct);
        if (agentProfile is null)
        {
            return Protocol(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidClient, $"No agent '{agentId}' is registered.", 401);
        }

        var key = signature.Signature.Key!;

        // A key removed from the registry stops working at once, even under an agent token issued before. A key a
        // trusted provider vouches for is the provider's to manage.
        using (var enrolled = vouchedByProvider ? null : AgentSigningKeys.Find(agentProfile, key.Thumbprint!))
        {
            if (enrolled is null && !vouchedByProvider)
            {
                return Protocol(AgentErrorCodes.AgentKeyNotEnrolled, OAuthErrors.InvalidClient, $"The key that signed is no longer enrolled for agent '{agentProfile.Id}'.", 401,
                    "error=" + SignatureErrors.UnknownKey);
            }
        }

        var thumbprintOfKey = key.Thumbprint!;
        var now = _time.GetUtcNow();
        IssuanceDecision decision;
        ResourceRequest? resourceRequest = null;
        switch (type)
        {
            case AAuthConstants.RequestAgent:
                decision = _policy.DecideAgentToken(agentProfile, options.AgentTokenLifetime);
                if (decision.IsGranted)
                {
                    var agentToken = _tokens.Create(AAuthConstants.AgentTokenType, issuer, issuer, agentProfile.Subject,
                        new Dictionary<string, object> { ["cnf"] = Json(new JsonObject { ["jwk"] = key.ToPublicJwk() }), ["client_id"] = agentProfile.Id },
                        decision.IssuedAt, decision.ExpiresAt, out var agentTokenId);
                    return new Outcome(decision, null, new JsonObject
                    {
                        ["agent_token"] = agentToken,
                        ["token_type"] = AAuthConstants.AgentTokenType,
                        ["expires_in"] = (long)decision.Lifetime.TotalSeconds,
                    }, TokenId: agentTokenId);
                }

                return new Outcome(decision, null, null);

            case AAuthConstants.RequestAuth or AAuthConstants.RequestExchange:
            {
                var resourceOutcome = await ReadResourceTokenAsync(parameters.GetValueOrDefault("resource_token"), issuer, agentProfile, agentTokenSubject ?? agentProfile.Subject, thumbprintOfKey, options);
                if (resourceOutcome.Error is { } resourceError)
                {
                    audit.Context = audit.Context with { AudiencesRequested = resourceOutcome.Resource };
                    return new Outcome(null, resourceError, null);
                }

                resourceRequest = resourceOutcome.Request!;
                TokenFacts? upstream = null;
                if (type == AAuthConstants.RequestExchange)
                {
                    var self = options.Resources.FirstOrDefault(r => r.Id == agentProfile.Id);
                    if (self is null)
                    {
                        return Protocol(AgentErrorCodes.UpstreamTokenInvalid, OAuthErrors.InvalidGrant, $"The agent '{agentProfile.Id}' is not registered as an AAuth resource, so no auth token can have been issued for it.");
                    }

                    var (upstreamToken, upstreamError) = await _tokens.ValidateOwnAsync(parameters.GetValueOrDefault("subject_token"), AAuthConstants.AuthTokenType, issuer, self.Identifier!.AbsoluteUri);
                    if (upstreamToken is null || !TryFacts(upstreamToken, out upstream))
                    {
                        return Protocol(AgentErrorCodes.UpstreamTokenInvalid, OAuthErrors.InvalidGrant, $"The upstream auth token ('subject_token') is refused: {upstreamError ?? "its act claim is malformed"}.");
                    }
                }

                decision = await _policy.DecideAuthAsync(agentProfile, resourceRequest, ScopesOf(parameters), upstream, ct);
                break;
            }

            default:
            {
                var (refresh, refreshError) = await _tokens.ValidateOwnAsync(parameters.GetValueOrDefault("refresh_token"), AAuthConstants.RefreshTokenType, issuer, issuer);
                if (refresh is null || !TryFacts(refresh, out var facts) || AAuthJwt.ClaimString(refresh, "client_id") != agentProfile.Id)
                {
                    return Protocol(AgentErrorCodes.RefreshTokenInvalid, OAuthErrors.InvalidGrant, $"The refresh token is refused: {refreshError ?? "it was not issued to this agent"}.");
                }

                if (AAuthJwt.ClaimJson(refresh, "cnf") is not { ValueKind: JsonValueKind.Object } cnf || !cnf.TryGetProperty("jkt", out var jkt) || jkt.GetString() != thumbprintOfKey)
                {
                    return Protocol(AgentErrorCodes.KeyBindingMismatch, OAuthErrors.InvalidGrant, "The refresh token is bound to another key than the one this request is signed with.");
                }

                var resource = options.Resources.FirstOrDefault(r => r.Identifier?.AbsoluteUri == AAuthJwt.ClaimString(refresh, AAuthConstants.ResourceClaim));
                if (resource is null)
                {
                    return Protocol(AgentErrorCodes.ResourceUnknown, OAuthErrors.InvalidTarget, "The refresh token's resource is no longer known here.");
                }

                // Refresh tokens are issued for an agent's own auth tokens only (never after an exchange), so there is no chain.
                resourceRequest = new ResourceRequest(resource, facts!.Scopes, facts.ExpiresAt ?? now);
                decision = await _policy.DecideAuthAsync(agentProfile, resourceRequest, ScopesOf(parameters), null, ct);
                break;
            }
        }

        audit.Context = audit.Context with { AudiencesRequested = resourceRequest?.Resource.Identifier?.AbsoluteUri };
        if (!decision.IsGranted)
        {
            return new Outcome(decision, null, null);
        }

        if (await _budgets.CheckAsync(agentProfile, ct) is { } spent)
        {
            return new Outcome(decision with { Error = spent.Error }, null, null, 429, RetryAt: spent.ResetAt);
        }

        var claims = new Dictionary<string, object>
        {
            ["scope"] = decision.Scopes.ToString(),
            ["cnf"] = Json(new JsonObject { ["jkt"] = thumbprintOfKey }),
            [AAuthConstants.AgentClaim] = agentTokenSubject ?? agentProfile.Subject, // as the resource knows the agent: its agent token's sub
            ["client_id"] = agentProfile.Id,
        };
        if (decision.Chain.ToJson() is { } act)
        {
            claims["act"] = Json(act);
        }

        var authToken = _tokens.Create(AAuthConstants.AuthTokenType, issuer, resourceRequest!.Resource.Identifier!.AbsoluteUri, decision.Subject!, claims, decision.IssuedAt, decision.ExpiresAt, out var tokenId);
        var response = new JsonObject
        {
            ["auth_token"] = authToken,
            ["token_type"] = AAuthConstants.AuthTokenType,
            ["expires_in"] = (long)decision.Lifetime.TotalSeconds,
            ["scope"] = decision.Scopes.ToString(),
        };
        if (type == AAuthConstants.RequestAuth)
        {
            var refreshClaims = new Dictionary<string, object>(claims) { [AAuthConstants.ResourceClaim] = resourceRequest.Resource.Identifier!.AbsoluteUri };
            response["refresh_token"] = _tokens.Create(AAuthConstants.RefreshTokenType, issuer, issuer, decision.Subject!, refreshClaims, decision.IssuedAt, decision.IssuedAt + options.RefreshTokenLifetime, out _);
        }

        return new Outcome(decision, null, response, TokenId: tokenId);
    }

    private string ErrorUri(string code) => _agentOptions.CurrentValue.ErrorDocumentationUri.GetLeftPart(UriPartial.Path) + "#" + code;

    private async Task RespondAsync(HttpContext http, Outcome outcome, AuditContext audit, CancellationToken ct)
    {
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        var current = audit;
        JsonObject body;
        int status;
        try
        {
            if (outcome.Decision is { } decision)
            {
                await _trail.RecordAsync(decision, current with { TokenId = outcome.TokenId }, ct);
            }
            else
            {
                var error = outcome.ProtocolError!;
                await _trail.RecordProtocolRefusalAsync(error.OAuthError, error.Description, error.Code, current, ct);
            }

            var refusal = outcome.ProtocolError ?? outcome.Decision?.Error;
            if (refusal is null)
            {
                body = outcome.Body!;
                status = 200;
                LogIssued(_logger, current.GrantType, current.AgentId, outcome.TokenId);
            }
            else
            {
                body = new JsonObject
                {
                    ["error"] = refusal.OAuthError,
                    ["error_description"] = refusal.Description,
                    ["error_uri"] = ErrorUri(refusal.Code),
                    ["error_code"] = refusal.Code,
                };
                status = outcome.Status != 200 ? outcome.Status : refusal.OAuthError == OAuthErrors.InvalidClient ? 401 : 400;
                if (outcome.SignatureError is { } signatureError)
                {
                    response.Headers[SignatureErrors.HeaderName] = signatureError;
                }

                if (status == 401)
                {
                    // RFC 6749 section 5.2 / RFC 9110 section 15.5.2: a 401 names the scheme the client authenticates with.
                    response.Headers.WWWAuthenticate = $"AAuth error=\"{refusal.OAuthError}\"";
                }

                if (outcome.RetryAt is { } retryAt)
                {
                    response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling((retryAt - _time.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }

                LogRefused(_logger, current.GrantType, refusal.Code, current.AgentId);
            }
        }
#pragma warning disable CA1031 // Any failure to record must withhold the token.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogAuditFailed(_logger, exception);
            var unavailable = StoreFailures.IsUnavailable(exception);
            body = new JsonObject
            {
                ["error"] = StoreFailures.OAuthErrorFor(exception),
                ["error_description"] = "The request could not be recorded in the audit trail, so it was not completed." + (unavailable ? " Try again shortly." : string.Empty),
                ["error_uri"] = ErrorUri(AgentErrorCodes.AuditUnavailable),
                ["error_code"] = AgentErrorCodes.AuditUnavailable,
            };
            status = unavailable ? 503 : 500;
            if (unavailable)
            {
                response.Headers.RetryAfter = StoreFailures.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            }
        }

        response.StatusCode = status;
        response.ContentType = "application/json;charset=UTF-8";
        await response.WriteAsync(body.ToJsonString(), ct);
    }

    private static async ValueTask<(ResourceRequest? Request, AgentError? Error, string? Resource)> ReadResourceTokenAsync(
        string? token, string issuer, AgentProfile agent, string agentTokenSubject, string thumbprint, AAuthOptions options)
    {
        if (string.IsNullOrEmpty(token))
        {
            return (null, new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest, "'resource_token' is required: ask the resource for one."), null);
        }

        var resourceIssuer = AAuthJwt.UnvalidatedIssuer(token);
        if (resourceIssuer is null)
        {
            return (null, new AgentError(AgentErrorCodes.ResourceTokenInvalid, OAuthErrors.InvalidGrant, "The resource token is not a JWT."), null);
        }

        var resource = options.Resources.FirstOrDefault(r => string.Equals(r.Identifier?.AbsoluteUri, resourceIssuer, StringComparison.Ordinal));
        if (resource is null)
        {
            return (null, new AgentError(AgentErrorCodes.ResourceUnknown, OAuthErrors.InvalidTarget, $"The resource '{ErrorText.Printable(resourceIssuer)}' is not one this server issues auth tokens for."), ErrorText.Printable(resourceIssuer));
        }

        var keys = resource.SigningKeys.Select(k => (SecurityKey)new JsonWebKey(k)).ToList();
        var (validated, error) = await AAuthJwt.ValidateAsync(token, AAuthConstants.ResourceTokenType, resource.Identifier!.AbsoluteUri, issuer, keys);
        if (validated is null)
        {
            return (null, new AgentError(AgentErrorCodes.ResourceTokenInvalid, OAuthErrors.InvalidGrant, $"The resource token is refused: {error}."), resource.Identifier.AbsoluteUri);
        }

        if (validated.IssuedAt == DateTime.MinValue || validated.ValidTo - validated.IssuedAt > options.ResourceTokenMaxLifetime)
        {
            return (null, new AgentError(AgentErrorCodes.ResourceTokenInvalid, OAuthErrors.InvalidGrant, $"The resource token must carry iat and live at most {options.ResourceTokenMaxLifetime.TotalMinutes:0} minutes."), resource.Identifier.AbsoluteUri);
        }

        if (AAuthJwt.ClaimString(validated, AAuthConstants.AgentClaim) != agentTokenSubject)
        {
            return (null, new AgentError(AgentErrorCodes.ResourceTokenAgentMismatch, OAuthErrors.InvalidGrant, $"The resource token was minted for another agent than '{agent.Id}'."), resource.Identifier.AbsoluteUri);
        }

        if (AAuthJwt.ClaimString(validated, AAuthConstants.AgentKeyThumbprintClaim) != thumbprint)
        {
            return (null, new AgentError(AgentErrorCodes.KeyBindingMismatch, OAuthErrors.InvalidGrant, "The resource token names another key than the one this request is signed with."), resource.Identifier.AbsoluteUri);
        }

        return (new ResourceRequest(resource, ScopeSet.Parse(AAuthJwt.ClaimString(validated, "scope")), new DateTimeOffset(validated.ValidTo, TimeSpan.Zero)), null, resource.Identifier.AbsoluteUri);
    }

    private static bool TryFacts(JsonWebToken token, out TokenFacts? facts)
    {
        facts = null;
        var chain = ActorChain.Empty;
        if (AAuthJwt.ClaimJson(token, "act") is { } act && !ActorChain.TryParse(act.GetRawText(), out chain, out _))
        {
            return false;
        }

        facts = new TokenFacts
        {
            Subject = token.Subject,
            Issuer = token.Issuer,
            TokenId = token.Id,
            Scopes = ScopeSet.Parse(AAuthJwt.ClaimString(token, "scope")),
            ExpiresAt = new DateTimeOffset(token.ValidTo, TimeSpan.Zero),
            Chain = chain,
        };
        return !string.IsNullOrEmpty(token.Subject);
    }

    private static string[]? ScopesOf(Dictionary<string, string> parameters) =>
        parameters.TryGetValue("scope", out var scope) ? scope.Split(' ', StringSplitOptions.RemoveEmptyEntries) : null;

    private static JsonElement Json(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();

    private static bool TryReadBody(byte[] body, out Dictionary<string, string> parameters, out string error, out string code)
    {
        parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        error = string.Empty;
        code = AgentErrorCodes.ProtocolError;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return false;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    error = $"The parameter '{ErrorText.Printable(property.Name)}' must be a string.";
                    return false;
                }

                if (!parameters.TryAdd(property.Name, property.Value.GetString()!))
                {
                    (error, code) = ($"The parameter '{ErrorText.Printable(property.Name)}' appears more than once.", AgentErrorCodes.ParameterDuplicated);
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            error = "The body is not valid JSON.";
            return false;
        }
    }

    /// <summary>The audit context, filled in as the decision learns the request type, agent, scopes and resource.</summary>
    private sealed class AuditNotes
    {
        public required AuditContext Context { get; set; }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "AAuth {RequestType} issued to {AgentId} (token {TokenId})")]
    private static partial void LogIssued(ILogger logger, string requestType, string? agentId, string? tokenId);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "AAuth {RequestType} refused with {Code} for {AgentId}")]
    private static partial void LogRefused(ILogger logger, string requestType, string code, string? agentId);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "AAuth response withheld: the audit record could not be written")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception);
}
