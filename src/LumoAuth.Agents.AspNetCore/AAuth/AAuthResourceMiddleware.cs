using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.StructuredFields;
using LumoAuth.Agents.HttpSignatures.Verification;
using LumoAuth.Agents.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.AAuth;

/// <summary>Endpoint metadata: the endpoint takes only AAuth-signed requests whose auth token carries these scopes.</summary>
/// <param name="Scopes">The scopes the auth token must carry (all of them).</param>
public sealed record AAuthRequirement(IReadOnlyList<string> Scopes);

/// <summary>
/// Guards endpoints marked with <see cref="AAuthRequirement"/>: the request must be signed by the key in the agent
/// token the token server issued, and carry (<c>Authorization: AAuth &lt;auth token&gt;</c>) an auth token issued for this
/// resource, bound to that same key (<c>cnf.jkt</c>), with the scopes required. A signed request without an auth
/// token is answered 401 with a resource token for the agent to take to the token server. A stolen auth token is
/// useless without the key; a replayed request is refused by its nonce.
/// </summary>
internal sealed class AAuthResourceMiddleware
{
    private readonly RequestDelegate _next;

    /// <summary>Creates the middleware.</summary>
    public AAuthResourceMiddleware(RequestDelegate next) => _next = next;

    /// <summary>Handles a request.</summary>
    public async Task InvokeAsync(HttpContext http, AAuthSignatureVerifier verifier, TokenServerKeys serverKeys, IOptionsMonitor<AAuthResourceOptions> optionsMonitor, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(serverKeys);
        ArgumentNullException.ThrowIfNull(optionsMonitor);
        ArgumentNullException.ThrowIfNull(time);
        var requirement = http.GetEndpoint()?.Metadata.GetMetadata<AAuthRequirement>();
        if (requirement is null)
        {
            await _next(http);
            return;
        }

        var ct = http.RequestAborted;
        var options = optionsMonitor.CurrentValue;
        var tokenServer = TokenServerOf(http.Request, options);
        if (await SignedRequestReader.ReadAsync(http.Request, ct) is not var (message, body))
        {
            await RefuseAsync(http, 413, "invalid_request", "The request body is too large to verify.");
            return;
        }

        JsonWebToken? agentToken = null;
        var vouchedByProvider = false;
        var signature = await verifier.VerifyAsync(message, body, options.SignatureMaxAge, async (conveyed, _, token) =>
        {
            if (conveyed is not { Scheme: ConveyedKey.JwtScheme, Jwt: { } jwt })
            {
                return ConveyedKeyResolution.Refuse(SignatureErrors.InvalidKey, "Convey the agent token with the signature (Signature-Key: sig=jwt;jwt=\"...\").");
            }

            var claimedIssuer = AAuthJwt.UnvalidatedIssuer(jwt);
            var fromProvider = claimedIssuer is not null && claimedIssuer != tokenServer && options.AgentProviders.ContainsKey(claimedIssuer);
            var keys = fromProvider ? [.. options.AgentProviders[claimedIssuer!]] : await serverKeys.GetAsync(null, token);
            var check = await AAuthJwt.ValidateAsync(jwt, "agent+jwt", fromProvider ? claimedIssuer! : tokenServer, tokenServer, keys);
            if (check.Failure is TokenFailure.UnknownKey or TokenFailure.BadSignature && !fromProvider)
            {
                // The server may have rolled its keys since they were fetched: one throttled refresh, then again.
                keys = await serverKeys.GetAsync(new JsonWebToken(jwt).Kid ?? string.Empty, token);
                check = await AAuthJwt.ValidateAsync(jwt, "agent+jwt", tokenServer, tokenServer, keys);
            }

            if (check.Token is not { } validated)
            {
                return ConveyedKeyResolution.Refuse(check.Failure == TokenFailure.Expired ? "expired_jwt" : "invalid_jwt", $"The agent token is refused: {check.Error}.");
            }

            if (!AAuthJwt.TryConfirmationKey(validated, out var key))
            {
                return ConveyedKeyResolution.Refuse("invalid_jwt", "The agent token carries no usable cnf.jwk.");
            }

            agentToken = validated;
            vouchedByProvider = fromProvider;
            return new ConveyedKeyResolution(key, null, null);
        }, ct);

        if (!signature.Succeeded)
        {
            http.Response.Headers[SignatureErrors.HeaderName] = signature.Signature.ToSignatureErrorHeader();
            await RefuseAsync(http, 401, "invalid_signature", "The request signature is refused: " + signature.Signature.Description);
            return;
        }

        var thumbprint = signature.Signature.Key!.Thumbprint!;

        // A resource that shares the token server's registry learns at once (within its registry cache, a couple of
        // seconds across instances) that the agent's key was removed or the agent stopped, even under an agent token
        // issued before. Without a shared registry the agent token's lifetime bounds it (AAuthOptions.AgentTokenLifetime).
        // A key a trusted provider vouches for is the provider's to manage.
        if (!vouchedByProvider && http.RequestServices.GetService<LumoAuth.Agents.IAgentStore>() is { } registry &&
            await KeyStatusAsync(registry, agentToken!, thumbprint, ct) is { } stale)
        {
            http.Response.Headers[SignatureErrors.HeaderName] = "error=" + SignatureErrors.UnknownKey;
            await RefuseAsync(http, 401, "invalid_signature", stale);
            return;
        }

        var authorization = http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(authorization))
        {
            await ChallengeAsync(http, options, tokenServer, agentToken!, thumbprint, requirement, time);
            return;
        }

        const string Prefix = "AAuth ";
        if (!authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || http.Request.Headers.Authorization.Count != 1)
        {
            await RefuseAsync(http, 401, "invalid_token", "Auth tokens are presented as 'Authorization: AAuth <auth token>' on a signed request; they are never bearer tokens.");
            return;
        }

        var authToken = authorization[Prefix.Length..].Trim();
        var serverSigningKeys = await serverKeys.GetAsync(null, ct);
        var (auth, authError) = await AAuthJwt.ValidateAsync(authToken, "auth+jwt", tokenServer, options.ResourceIdentifier!.AbsoluteUri, serverSigningKeys);
        if (auth is null)
        {
            await RefuseAsync(http, 401, "invalid_token", $"The auth token is refused: {authError}.");
            return;
        }

        if (AAuthJwt.ClaimJson(auth, "cnf") is not { ValueKind: JsonValueKind.Object } authCnf || !authCnf.TryGetProperty("jkt", out var jkt) || jkt.GetString() != thumbprint)
        {
            await RefuseAsync(http, 401, "invalid_token", "The auth token is bound to another key than the one this request is signed with.");
            return;
        }

        if (AAuthJwt.ClaimString(auth, "agent") != agentToken!.Subject)
        {
            await RefuseAsync(http, 401, "invalid_token", "The auth token was issued to another agent than the one signing.");
            return;
        }

        var granted = (AAuthJwt.ClaimString(auth, "scope") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var missing = requirement.Scopes.Where(s => !granted.Contains(s)).ToList();
        if (missing.Count > 0)
        {
            http.Response.Headers.WWWAuthenticate = $"AAuth error=\"insufficient_scope\", scope=\"{string.Join(' ', requirement.Scopes)}\"";
            await RefuseAsync(http, 403, "insufficient_scope", $"The auth token lacks the scope {string.Join(", ", missing)}.");
            return;
        }

        var identity = new ClaimsIdentity("AAuth", "sub", "scope") { Label = Authorization.AgentCaller.IdentityLabel };
        identity.AddClaim(new Claim("sub", auth.Subject));
        identity.AddClaim(new Claim("agent", agentToken.Subject));
        identity.AddClaim(new Claim("scope", string.Join(' ', granted)));
        identity.AddClaim(new Claim("jkt", thumbprint));
        if (AAuthJwt.ClaimJson(auth, "act") is { } act)
        {
            identity.AddClaim(new Claim("act", act.GetRawText(), "JSON"));
        }

        http.User = new ClaimsPrincipal(identity);
        await _next(http);
    }

    /// <summary>Why the signing key or its agent no longer counts in the registry, or null when both still do.</summary>
    private static async Task<string?> KeyStatusAsync(LumoAuth.Agents.IAgentStore registry, JsonWebToken agentToken, string thumbprint, CancellationToken ct)
    {
        var id = AAuthJwt.ClaimString(agentToken, "client_id") ??
                 (LumoAuth.Agents.Subjects.SubjectIdentifier.TryGetAgentId(agentToken.Subject, out var fromSubject) ? fromSubject : null);
        if (id is null || await registry.FindAsync(id, ct) is not { } agent)
        {
            return "The agent that signed is not registered.";
        }

        if (agent.Status != LumoAuth.Agents.AgentStatus.Active)
        {
            return $"The agent '{agent.Id}' is {agent.Status.ToString().ToLowerInvariant()}.";
        }

        using var enrolled = LumoAuth.Agents.AgentSigningKeys.Find(agent, thumbprint);
        return enrolled is null ? $"The key that signed is no longer enrolled for agent '{agent.Id}'." : null;
    }

    /// <summary>The token server: the configured one, or for a resource hosted by the token server itself, this host.</summary>
    public static string TokenServerOf(HttpRequest request, AAuthResourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        return options.TokenServer?.AbsoluteUri ?? AAuthJwt.OriginOf(request);
    }

    private static async Task ChallengeAsync(HttpContext http, AAuthResourceOptions options, string tokenServer, JsonWebToken agentToken, string thumbprint, AAuthRequirement requirement, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var resourceToken = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "resource+jwt",
            Issuer = options.ResourceIdentifier!.AbsoluteUri,
            Audience = tokenServer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + options.ResourceTokenLifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["agent"] = agentToken.Subject,
                ["agent_jkt"] = thumbprint,
                ["scope"] = string.Join(' ', requirement.Scopes),
            },
            SigningCredentials = options.ResourceTokenSigningCredentials ?? throw new InvalidOperationException("AAuthResourceOptions.ResourceTokenSigningCredentials is not set."),
        });
        var authServer = new Uri(new Uri(tokenServer), options.TokenEndpointPath.TrimStart('/')).AbsoluteUri;

        // The AAuth challenge: an sf-item naming the scheme, with the resource token and where to take it.
        var challenge = new SfItem(new SfToken("httpsig"), [new("auth-token", new SfBoolean(true)), new("resource_token", new SfString(resourceToken)), new("auth_server", new SfString(authServer))]);
        http.Response.Headers[AgentAuthField.HeaderName] = challenge.Serialize();
        http.Response.Headers.WWWAuthenticate = "AAuth error=\"auth_token_required\"";
        await OAuthErrorResponse.WriteAsync(http, 401, "auth_token_required", "Take this resource token to the token server for an auth token, then repeat the request with it.",
            new JsonObject { ["resource_token"] = resourceToken, ["auth_server"] = authServer });
    }

    private static Task RefuseAsync(HttpContext http, int status, string error, string description)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            // RFC 9110 section 15.5.2: every 401 names the scheme that would succeed.
            http.Response.Headers.WWWAuthenticate = $"AAuth error=\"{OAuthErrorResponse.Quote(error)}\", error_description=\"{OAuthErrorResponse.Quote(description)}\"";
        }

        return OAuthErrorResponse.WriteAsync(http, status, error, description);
    }
}
