using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Runs first on every token request: refuses duplicated parameters, and for token exchange refuses missing or
/// empty parameters and token types other than access tokens, each with its own code. It never lets a request
/// fall back to another identity: an exchange that names no client must carry an actor token.
/// </summary>
public sealed class ValidateAgentTokenRequest : IOpenIddictServerHandler<ValidateTokenRequestContext>
{
    private static readonly string[] SingleValued =
    [
        OpenIddictConstants.Parameters.GrantType, OpenIddictConstants.Parameters.ClientId, OpenIddictConstants.Parameters.ClientSecret,
        OpenIddictConstants.Parameters.Scope, OpenIddictConstants.Parameters.SubjectToken, OpenIddictConstants.Parameters.SubjectTokenType,
        OpenIddictConstants.Parameters.ActorToken, OpenIddictConstants.Parameters.ActorTokenType, OpenIddictConstants.Parameters.RequestedTokenType,
        OpenIddictConstants.Parameters.ClientAssertion, OpenIddictConstants.Parameters.ClientAssertionType,
        OpenIddictConstants.Parameters.Code, OpenIddictConstants.Parameters.CodeVerifier, OpenIddictConstants.Parameters.RedirectUri,
        OpenIddictConstants.Parameters.RefreshToken, OpenIddictConstants.Parameters.Username, OpenIddictConstants.Parameters.Password,
        LumoAgentsOpenIddictConstants.SubjectIssuerParameter,
    ];

    private readonly IOptionsMonitor<LumoAgentsOptions> _options;

    /// <summary>Creates the handler.</summary>
    public ValidateAgentTokenRequest(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

    /// <summary>The descriptor: before every built-in validation of the token request.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
            .UseScopedHandler<ValidateAgentTokenRequest>()
            .SetOrder(int.MinValue + 10_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <inheritdoc />
    public ValueTask HandleAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        context.Transaction.Properties[LumoAgentsOpenIddictConstants.StartedProperty] = System.Diagnostics.Stopwatch.GetTimestamp();
        if (Diagnostics.AgentsTelemetry.Source.StartActivity(Diagnostics.AgentsTelemetry.TokenRequestActivity, System.Diagnostics.ActivityKind.Internal) is { } activity)
        {
            activity.SetTag("oauth.grant_type", request.GrantType);
            context.Transaction.Properties[LumoAgentsOpenIddictConstants.ActivityProperty] = activity;
        }

        var error = Validate(request, _options.CurrentValue);
        if (error is not null)
        {
            context.Transaction.SetProperty(LumoAgentsOpenIddictConstants.DecisionProperty,
                new Issuance.IssuanceDecision { Error = error, AgentId = request.ClientId });
            AgentRejection.Reject(context, error, _options.CurrentValue);
        }

        return ValueTask.CompletedTask;
    }

    private static AgentError? Validate(OpenIddictRequest request, LumoAgentsOptions options)
    {
        if (RequestParameters.FirstRepeated(request, SingleValued) is { } repeated)
        {
            return new AgentError(AgentErrorCodes.ParameterDuplicated, OAuthErrors.InvalidRequest, $"The '{repeated}' parameter appears more than once.");
        }

        if (!request.IsTokenExchangeGrantType())
        {
            // The pack accepts anonymous requests for token exchange only (the actor token proves the agent there);
            // every other grant still names its client, whatever AcceptAnonymousClients() would allow.
            return string.IsNullOrEmpty(request.ClientId) && !string.IsNullOrEmpty(request.GrantType)
                ? new AgentError(AgentErrorCodes.ClientIdentificationRequired, OAuthErrors.InvalidClient,
                    $"The '{request.GrantType}' grant requires the client to identify itself (client_id).")
                : null;
        }

        foreach (var name in new[] { OpenIddictConstants.Parameters.SubjectToken, OpenIddictConstants.Parameters.SubjectTokenType })
        {
            if (string.IsNullOrWhiteSpace((string?)request[name]))
            {
                return new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest, $"The '{name}' parameter is missing or empty.");
            }
        }

        var hasActorToken = request[OpenIddictConstants.Parameters.ActorToken] is not null;
        var hasActorTokenType = request[OpenIddictConstants.Parameters.ActorTokenType] is not null;
        var workloadLogin = string.Equals(request.SubjectTokenType, LumoAgentsOpenIddictConstants.JwtTokenType, StringComparison.Ordinal);
        if (workloadLogin && (hasActorToken || hasActorTokenType))
        {
            return new AgentError(AgentErrorCodes.SubjectTokenTypeUnsupported, OAuthErrors.InvalidRequest,
                "A platform token (urn:ietf:params:oauth:token-type:jwt) logs an agent in by itself; it cannot be combined with an actor token.");
        }

        if (workloadLogin)
        {
            // The platform token is the credential: no client, no secret (seed pattern 2).
            return string.IsNullOrEmpty(request.ClientId)
                ? null
                : new AgentError(AgentErrorCodes.ParameterNotAllowed, OAuthErrors.InvalidRequest,
                    "Workload login takes no client_id or client credentials: the platform token is the credential.");
        }

        if (!string.Equals(request.SubjectTokenType, LumoAgentsOpenIddictConstants.AccessTokenType, StringComparison.Ordinal))
        {
            return new AgentError(AgentErrorCodes.SubjectTokenTypeUnsupported, OAuthErrors.InvalidRequest,
                $"The subject_token_type '{request.SubjectTokenType}' is not accepted; delegation takes a user's access token ({LumoAgentsOpenIddictConstants.AccessTokenType}) and workload login a platform JWT ({LumoAgentsOpenIddictConstants.JwtTokenType}).");
        }
        if (hasActorToken || hasActorTokenType)
        {
            foreach (var name in new[] { OpenIddictConstants.Parameters.ActorToken, OpenIddictConstants.Parameters.ActorTokenType })
            {
                if (string.IsNullOrWhiteSpace((string?)request[name]))
                {
                    return new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest,
                        $"The '{name}' parameter is missing or empty; actor_token and actor_token_type go together.");
                }
            }

            if (!string.Equals(request.ActorTokenType, LumoAgentsOpenIddictConstants.AccessTokenType, StringComparison.Ordinal))
            {
                return new AgentError(AgentErrorCodes.ActorTokenTypeUnsupported, OAuthErrors.InvalidRequest,
                    $"The actor_token_type '{request.ActorTokenType}' is not accepted; the actor proves itself with its own access token.");
            }
        }

        // Tokens are compact JWS (or JWE, which OpenIddict then names precisely, e.g. a refresh token declared as an
        // access token): anything else (garbage, a reference handle) is refused here, before OpenIddict would look it up
        // in the database as a reference token.
        foreach (var name in new[] { OpenIddictConstants.Parameters.SubjectToken, OpenIddictConstants.Parameters.ActorToken })
        {
            if ((string?)request[name] is { } token && !IsCompactJwt(token))
            {
                return new AgentError(Tokens.ProtocolErrorCodes.TokenInvalid, OAuthErrors.InvalidGrant,
                    $"The '{name}' is not a JWT (compact serialization of at most 16 KB).");
            }
        }

        var anonymous = string.IsNullOrEmpty(request.ClientId);
        if (anonymous && options.RequireClientAuthenticationForExchange)
        {
            return new AgentError(AgentErrorCodes.ClientAuthenticationRequired, OAuthErrors.InvalidClient,
                "This server requires the acting agent to authenticate as a client for token exchange (RFC 8693 section 5).");
        }

        if (anonymous && !hasActorToken)
        {
            return new AgentError(AgentErrorCodes.ActorMissing, OAuthErrors.InvalidRequest,
                "Delegation needs the acting agent: send its access token as actor_token, or authenticate as the agent.");
        }

        return null;
    }

    private static bool IsCompactJwt(string token)
    {
        if (token.Length is 0 or > 16 * 1024)
        {
            return false;
        }

        var dots = 0;
        foreach (var c in token)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return dots is 2 or 4;
    }
}
