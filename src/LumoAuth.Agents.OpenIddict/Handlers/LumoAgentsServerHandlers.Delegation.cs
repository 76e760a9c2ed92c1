using System.Collections.Immutable;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.OpenIddict.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// An agent acting for a user (RFC 8693, seed pattern 3): the token exchange of a user's access token by an agent,
    /// proven by its own access token as <c>actor_token</c> and/or its client authentication, decided by the
    /// <see cref="DelegationPolicy"/>.
    /// </summary>
    public static class Delegation
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ValidateParameters.Descriptor,
            IssueToken.Descriptor,
        ];

        /// <summary>
        /// Refuses missing or empty parameters and token types other than access tokens, each with its own code, before
        /// OpenIddict validates the tokens. It never lets a request fall back to another identity: an exchange that names
        /// no client must carry an actor token.
        /// </summary>
        public sealed class ValidateParameters : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateParameters(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: before OpenIddict's first check of the token request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireDelegation>()
                    .UseSingletonHandler<ValidateParameters>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.ValidateGrantType.Descriptor.Order - 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (Validate(context.Request, _options.CurrentValue) is { } error)
                {
                    AgentRejection.RejectTokenRequest(context, error, _options.CurrentValue);
                }

                return ValueTask.CompletedTask;
            }

            private static AgentError? Validate(OpenIddictRequest request, LumoAgentsOptions options)
            {
                if (RequestParameters.FirstMissing(request, Parameters.SubjectToken, Parameters.SubjectTokenType) is { } missing)
                {
                    return new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest, $"The '{missing}' parameter is missing or empty.");
                }

                if (!string.Equals(request.SubjectTokenType, LumoAgentsOpenIddictConstants.AccessTokenType, StringComparison.Ordinal))
                {
                    return new AgentError(AgentErrorCodes.SubjectTokenTypeUnsupported, OAuthErrors.InvalidRequest,
                        $"The subject_token_type '{request.SubjectTokenType}' is not accepted; delegation takes a user's access token ({LumoAgentsOpenIddictConstants.AccessTokenType}) and workload login a platform JWT ({LumoAgentsOpenIddictConstants.JwtTokenType}).");
                }

                var hasActorToken = request[Parameters.ActorToken] is not null;
                if (hasActorToken || request[Parameters.ActorTokenType] is not null)
                {
                    if (RequestParameters.FirstMissing(request, Parameters.ActorToken, Parameters.ActorTokenType) is { } name)
                    {
                        return new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest,
                            $"The '{name}' parameter is missing or empty; actor_token and actor_token_type go together.");
                    }

                    if (!string.Equals(request.ActorTokenType, LumoAgentsOpenIddictConstants.AccessTokenType, StringComparison.Ordinal))
                    {
                        return new AgentError(AgentErrorCodes.ActorTokenTypeUnsupported, OAuthErrors.InvalidRequest,
                            $"The actor_token_type '{request.ActorTokenType}' is not accepted; the actor proves itself with its own access token.");
                    }
                }

                // Tokens are compact JWS (or JWE, which OpenIddict then names precisely, e.g. a refresh token declared as an
                // access token): anything else is refused here, before OpenIddict would look it up as a reference token.
                foreach (var name in new[] { Parameters.SubjectToken, Parameters.ActorToken })
                {
                    if ((string?)request[name] is { } token && !RequestParameters.IsCompactJwt(token))
                    {
                        return new AgentError(ProtocolErrorCodes.TokenInvalid, OAuthErrors.InvalidGrant,
                            $"The '{name}' is not a JWT (compact serialization of at most 16 KB).");
                    }
                }

                // Where the server requires client authentication, its absence is the refusal, given by IssueToken once
                // the client is known; otherwise an anonymous exchange has only the actor token to prove the agent.
                if (string.IsNullOrEmpty(request.ClientId) && !hasActorToken && !options.RequireClientAuthenticationForExchange)
                {
                    return new AgentError(AgentErrorCodes.ActorMissing, OAuthErrors.InvalidRequest,
                        "Delegation needs the acting agent: send its access token as actor_token, or authenticate as the agent.");
                }

                return null;
            }
        }

        /// <summary>
        /// Decides the exchange with the delegation policy from the tokens OpenIddict validated and the client it
        /// authenticated, and signs the granted token in: <c>sub</c> the user, <c>act</c> the chain with the new actor.
        /// </summary>
        public sealed class IssueToken : IOpenIddictServerHandler<HandleTokenRequestContext>
        {
            private readonly DelegationPolicy _policy;
            private readonly IOpenIddictApplicationManager _applications;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;
            private readonly AgentTokenIssuance _issuance;

            /// <summary>Creates the handler.</summary>
            public IssueToken(DelegationPolicy policy, IOpenIddictApplicationManager applications, BudgetGate budgets,
                IOptionsMonitor<LumoAgentsOptions> options, ILogger<IssueToken> logger, TimeProvider time)
            {
                _policy = policy;
                _applications = applications;
                _options = options;
                _issuance = new AgentTokenIssuance(budgets, options, logger, time);
            }

            /// <summary>The descriptor: after OpenIddict attaches the validated subject and actor tokens, before its sign-in.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireDelegation>()
                    .UseScopedHandler<IssueToken>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(HandleTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (await _issuance.DecideAsync(context, () => DecideAsync(context)) is { } decision)
                {
                    AgentTokenIssuance.SignIn(context, decision);
                }
            }

            private async ValueTask<IssuanceDecision?> DecideAsync(HandleTokenRequestContext context)
            {
                if (context.SubjectTokenPrincipal is null)
                {
                    return Malformed("subject", null);
                }

                if (!TokenFactsReader.TryRead(context.SubjectTokenPrincipal, out var subject, out var subjectError))
                {
                    return Malformed("subject", subjectError);
                }

                TokenFacts? actor = null;
                if (context.ActorTokenPrincipal is not null && !TokenFactsReader.TryRead(context.ActorTokenPrincipal, out actor, out var actorError))
                {
                    return Malformed("actor", actorError);
                }

                // Only a confidential client's identity counts as authentication: a public client_id proves nothing.
                // This is the one place the server's RequireClientAuthenticationForExchange is enforced.
                string? authenticatedClient = null;
                if (context.ClientId is { Length: > 0 } clientId &&
                    await _applications.FindByClientIdAsync(clientId, context.CancellationToken) is { } application &&
                    await _applications.HasClientTypeAsync(application, ClientTypes.Confidential, context.CancellationToken))
                {
                    authenticatedClient = clientId;
                }
                else
                {
                    context.Transaction.GetAgentState().ClientUnauthenticated = true;
                    if (_options.CurrentValue.RequireClientAuthenticationForExchange)
                    {
                        return new IssuanceDecision
                        {
                            Subject = subject.Subject,
                            Error = new AgentError(AgentErrorCodes.ClientAuthenticationRequired, OAuthErrors.InvalidClient,
                                "This server requires the acting agent to authenticate as a confidential client for token exchange (RFC 8693 section 5)."),
                        };
                    }
                }

                // The policy owns the rule that a named client and the actor token's agent are the same agent.
                return await _policy.DecideAsync(new DelegationRequest
                {
                    SubjectToken = subject,
                    ActorToken = actor,
                    AuthenticatedClientId = authenticatedClient,
                    NamedClientId = string.IsNullOrEmpty(context.ClientId) ? null : context.ClientId,
                    RequestedScopes = AgentTokenIssuance.RequestedScopes(context.Request),
                    RequestedAudiences = AgentTokenIssuance.RequestedAudiences(context.Request),
                }, context.CancellationToken);

                static IssuanceDecision Malformed(string which, string? reason) => new()
                {
                    Error = new AgentError(AgentErrorCodes.ChainMalformed, OAuthErrors.InvalidGrant, $"The {which} token is not usable: {reason ?? "it carries no principal"}"),
                };
            }
        }
    }
}
