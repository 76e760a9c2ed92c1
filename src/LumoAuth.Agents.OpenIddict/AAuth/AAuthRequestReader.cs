using System.Text.Json;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Verification;
using LumoAuth.Agents.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// Reads an AAuth token request up to the point where a handler can decide on it: the JSON body (bounded in size and
/// depth, each parameter a string named once), the <c>request_type</c>, the request signature, and the key that made
/// it. The key comes from the agent token conveyed with the signature (this server's own, or one a trusted agent
/// provider issued for an agent mapped here) or, for an agent-token request, from the keys the agent enrolled.
/// </summary>
internal sealed class AAuthRequestReader(AAuthSignatureVerifier verifier, AAuthTokenService tokens, IAgentStore agents,
    IOptionsMonitor<AAuthOptions> aauthOptions, IOptionsMonitor<OpenIddictServerOptions> serverOptions)
{
    /// <summary>
    /// The request, or the refusal to answer instead; either way the audit context as far as the request got (its
    /// type and scopes once the body is read, its agent once the key is known).
    /// </summary>
    public async ValueTask<(AAuthRequest? Request, AAuthOutcome? Refusal, AuditContext Audit)> ReadAsync(HttpContext http, AuditContext audit, CancellationToken ct)
    {
        var options = aauthOptions.CurrentValue;
        var issuer = AAuthTokenEndpoint.IssuerOf(http.Request, serverOptions.CurrentValue);
        if (!HttpMethods.IsPost(http.Request.Method) || http.Request.ContentType is not { } contentType ||
            !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, AAuthOutcome.Refused(AgentErrorCodes.ProtocolError, OAuthErrors.InvalidRequest, "The AAuth token endpoint takes a POST with a JSON body (Content-Type: application/json)."), audit);
        }

        if (await SignedRequestReader.ReadAsync(http.Request, ct) is not var (message, body))
        {
            return (null, AAuthOutcome.Refused(AgentErrorCodes.ProtocolError, OAuthErrors.InvalidRequest, "The request body is larger than the endpoint accepts."), audit);
        }

        if (!TryReadBody(body, out var parameters, out var bodyError, out var bodyCode))
        {
            return (null, AAuthOutcome.Refused(bodyCode, OAuthErrors.InvalidRequest, bodyError), audit);
        }

        var type = parameters.GetValueOrDefault("request_type");
        var known = type is AAuthConstants.RequestAgent or AAuthConstants.RequestAuth or AAuthConstants.RequestRefresh or AAuthConstants.RequestExchange;
        audit = audit with { GrantType = "aauth:" + (known ? type : "unknown"), ScopesRequested = parameters.GetValueOrDefault("scope") };
        if (!known)
        {
            return (null, AAuthOutcome.Refused(AgentErrorCodes.RequestTypeUnsupported, OAuthErrors.InvalidRequest, "'request_type' must be one of agent, auth, refresh, exchange."), audit);
        }

        var signer = new Signer(type!, parameters, issuer, options);
        var signature = await verifier.VerifyAsync(message, body, options.SignatureMaxAge, (conveyed, keyId, token) =>
            conveyed is { Scheme: ConveyedKey.JwtScheme, Jwt: { } jwt } && type != AAuthConstants.RequestAgent
                ? ResolveAgentTokenKeyAsync(signer, jwt)
                : ResolveEnrolledKeyAsync(signer, conveyed, keyId, token), ct);

        audit = audit with { AgentId = signer.AgentId, ClientId = signer.AgentId };
        if (!signature.Succeeded)
        {
            return (null, AAuthOutcome.Refused(signer.KeyRefusal ?? AgentErrorCodes.SignatureInvalid, OAuthErrors.InvalidClient,
                "The request signature is refused: " + signature.Signature.Description, signatureError: signature.Signature.ToSignatureErrorHeader()), audit);
        }

        var agent = await agents.FindAsync(signer.AgentId!, ct);
        if (agent is null)
        {
            return (null, AAuthOutcome.Refused(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidClient, $"No agent '{signer.AgentId}' is registered."), audit);
        }

        var key = signature.Signature.Key!;

        // A key removed from the registry stops working at once, even under an agent token issued before. A key a
        // trusted provider vouches for is the provider's to manage.
        using (var enrolled = signer.VouchedByProvider ? null : AgentSigningKeys.Find(agent, key.Thumbprint!))
        {
            if (enrolled is null && !signer.VouchedByProvider)
            {
                return (null, AAuthOutcome.Refused(AgentErrorCodes.AgentKeyNotEnrolled, OAuthErrors.InvalidClient,
                    $"The key that signed is no longer enrolled for agent '{agent.Id}'.", signatureError: "error=" + SignatureErrors.UnknownKey), audit);
            }
        }

        var request = new AAuthRequest
        {
            Type = type!,
            Parameters = parameters,
            Agent = agent,
            Key = key,
            AgentSubject = signer.AgentTokenSubject ?? agent.Subject,
            Issuer = issuer,
            Options = options,
        };
        return (request, null, audit);
    }

    /// <summary>
    /// The key of a request that conveys an agent token: the token's <c>cnf.jwk</c>, once the token verifies as this
    /// server's own or as one from a trusted agent provider whose agent is mapped to one registered here.
    /// </summary>
    private async ValueTask<ConveyedKeyResolution> ResolveAgentTokenKeyAsync(Signer signer, string jwt)
    {
        if (signer.Parameters.TryGetValue("agent_token", out var inBody) && !string.Equals(inBody, jwt, StringComparison.Ordinal))
        {
            return ConveyedKeyResolution.Refuse(SignatureErrors.InvalidKey, "The agent token in the body differs from the one conveyed with the signature.");
        }

        JsonWebToken? agentToken;
        string? error;
        var failure = TokenFailure.None;
        string? id = null;
        var claimedIssuer = AAuthJwt.UnvalidatedIssuer(jwt);
        var provider = claimedIssuer == signer.Issuer ? null : signer.Options.AgentProviders.FirstOrDefault(p => p.Issuer?.AbsoluteUri == claimedIssuer);
        if (provider is not null)
        {
            var providerKeys = provider.SigningKeys.Select(k => (SecurityKey)new JsonWebKey(k)).ToList();
            var check = await AAuthJwt.ValidateAsync(jwt, AAuthConstants.AgentTokenType, provider.Issuer!.AbsoluteUri, signer.Issuer, providerKeys);
            (agentToken, error, failure) = (check.Token, check.Error, check.Failure);
            if (agentToken is not null && !provider.Agents.TryGetValue(agentToken.Subject, out id))
            {
                (agentToken, error) = (null, "the provider's agent is not mapped to an agent registered here");
            }
        }
        else
        {
            var check = await tokens.ValidateOwnAsync(jwt, AAuthConstants.AgentTokenType, signer.Issuer, signer.Issuer);
            (agentToken, error, failure) = (check.Token, check.Error, check.Failure);
            if (agentToken is not null && !LumoAuth.Agents.Subjects.SubjectIdentifier.TryGetAgentId(agentToken.Subject, out id))
            {
                (agentToken, error) = (null, "it names no agent");
            }
        }

        if (agentToken is null || id is null)
        {
            signer.KeyRefusal = AgentErrorCodes.AgentTokenInvalid;
            return ConveyedKeyResolution.Refuse(failure == TokenFailure.Expired ? "expired_jwt" : "invalid_jwt", $"The agent token is refused: {error ?? "it names no agent"}.");
        }

        if (!AAuthJwt.TryConfirmationKey(agentToken, out var key))
        {
            signer.KeyRefusal = AgentErrorCodes.AgentTokenInvalid;
            return ConveyedKeyResolution.Refuse("invalid_jwt", "The agent token carries no usable cnf.jwk.");
        }

        signer.AgentId = id;
        signer.AgentTokenSubject = agentToken.Subject;
        signer.VouchedByProvider = provider is not null;
        return new ConveyedKeyResolution(key, null, null, agentToken);
    }

    /// <summary>The key of an agent-token request: one the agent named in <c>agent_id</c> enrolled.</summary>
    private async ValueTask<ConveyedKeyResolution> ResolveEnrolledKeyAsync(Signer signer, ConveyedKey? conveyed, string? keyId, CancellationToken ct)
    {
        if (signer.Type != AAuthConstants.RequestAgent)
        {
            return ConveyedKeyResolution.Refuse(SignatureErrors.InvalidKey, "This request must convey the agent token with its signature (Signature-Key: sig=jwt;jwt=\"...\").");
        }

        // One answer for an unknown agent and an unenrolled key, so the endpoint does not reveal which agents exist.
        const string NotEnrolled = "The key is not one enrolled by the agent named in 'agent_id'.";
        if (!signer.Parameters.TryGetValue("agent_id", out var claimed) || await agents.FindAsync(claimed, ct) is not { } agent)
        {
            signer.KeyRefusal = AgentErrorCodes.AgentKeyNotEnrolled;
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
            signer.KeyRefusal = AgentErrorCodes.AgentKeyNotEnrolled;
            return ConveyedKeyResolution.Refuse(SignatureErrors.UnknownKey, NotEnrolled);
        }

        signer.AgentId = agent.Id;
        return new ConveyedKeyResolution(enrolled, null, null);
    }

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

    /// <summary>
    /// Who signed, as the key resolution learns it. The agent is known as soon as its key is, even when the signature
    /// then fails, so the refusal is recorded against it.
    /// </summary>
    private sealed class Signer(string type, Dictionary<string, string> parameters, string issuer, AAuthOptions options)
    {
        public string Type { get; } = type;

        public Dictionary<string, string> Parameters { get; } = parameters;

        public string Issuer { get; } = issuer;

        public AAuthOptions Options { get; } = options;

        public string? AgentId { get; set; }

        public string? AgentTokenSubject { get; set; }

        public bool VouchedByProvider { get; set; }

        /// <summary>Our code for a refused key, when it says more than <c>signature_invalid</c>.</summary>
        public string? KeyRefusal { get; set; }
    }
}
