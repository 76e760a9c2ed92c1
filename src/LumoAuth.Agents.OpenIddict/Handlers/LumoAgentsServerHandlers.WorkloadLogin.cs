using System.Collections.Immutable;
using System.Security.Claims;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// An agent logging in with its platform's workload token (seed pattern 2): a token exchange whose subject token is
    /// a platform JWT (<c>urn:ietf:params:oauth:token-type:jwt</c>), validated by the <see cref="WorkloadTokenValidator"/>
    /// and decided by the <see cref="WorkloadLoginPolicy"/> against the workload bindings.
    /// </summary>
    public static class WorkloadLogin
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ValidateParameters.Descriptor,
            ValidateWorkloadToken.Descriptor,
            IssueToken.Descriptor,
        ];

        /// <summary>
        /// Refuses a workload login that lacks its platform token, adds an actor token, or names a client: the platform
        /// token is the only credential, so the token can only ever be the bound agent's.
        /// </summary>
        public sealed class ValidateParameters : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateParameters(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: before OpenIddict's first check of the token request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireWorkloadLogin>()
                    .UseSingletonHandler<ValidateParameters>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.ValidateGrantType.Descriptor.Order - 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (Validate(context.Request) is { } error)
                {
                    AgentRejection.RejectTokenRequest(context, error, _options.CurrentValue);
                }

                return ValueTask.CompletedTask;
            }

            private static AgentError? Validate(OpenIddictRequest request)
            {
                if (RequestParameters.FirstMissing(request, Parameters.SubjectToken) is { } missing)
                {
                    return new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest, $"The '{missing}' parameter is missing or empty.");
                }

                if (request[Parameters.ActorToken] is not null || request[Parameters.ActorTokenType] is not null)
                {
                    return new AgentError(AgentErrorCodes.SubjectTokenTypeUnsupported, OAuthErrors.InvalidRequest,
                        "A platform token (urn:ietf:params:oauth:token-type:jwt) logs an agent in by itself; it cannot be combined with an actor token.");
                }

                // A client assertion would name a client too, once OpenIddict reads it.
                return string.IsNullOrEmpty(request.ClientId) && string.IsNullOrEmpty(request.ClientAssertion)
                    ? null
                    : new AgentError(AgentErrorCodes.ParameterNotAllowed, OAuthErrors.InvalidRequest,
                        "Workload login takes no client_id or client credentials: the platform token is the credential.");
            }
        }

        /// <summary>
        /// Validates the platform token with the workload validator in place of OpenIddict's own validation, which only
        /// knows this server's tokens. The verified identity goes on to the login policy.
        /// </summary>
        public sealed class ValidateWorkloadToken : IOpenIddictServerHandler<ValidateTokenContext>
        {
            private readonly WorkloadTokenValidator _validator;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateWorkloadToken(WorkloadTokenValidator validator, IOptionsMonitor<LumoAgentsOptions> options)
            {
                _validator = validator;
                _options = options;
            }

            /// <summary>The descriptor: after OpenIddict resolves its validation parameters, before it validates the token itself.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireWorkloadLogin>()
                    .UseScopedHandler<ValidateWorkloadToken>()
                    .SetOrder(OpenIddictServerHandlers.Protection.ResolveTokenValidationParameters.Descriptor.Order + 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(ValidateTokenContext context)
            {
                ArgumentNullException.ThrowIfNull(context);

                // Only the subject token is a platform token; any other token of the request is this server's.
                if (context.ValidTokenTypes.Count != 1 || !context.ValidTokenTypes.Contains(LumoAgentsOpenIddictConstants.JwtTokenType))
                {
                    return;
                }

                var request = context.Transaction.Request!;
                var validation = await _validator.ValidateAsync(context.Token ?? string.Empty, (string?)request[LumoAgentsOpenIddictConstants.SubjectIssuerParameter], context.CancellationToken);
                if (validation.Error is { } error)
                {
                    context.Transaction.SetAgentDecision(new IssuanceDecision
                    {
                        Error = error,
                        WorkloadIssuer = validation.Issuer,
                        WorkloadSubject = validation.Subject,
                    });
                    AgentRejection.Reject(context, error, _options.CurrentValue);
                    return;
                }

                var identity = validation.Identity!;
                context.Transaction.GetAgentState().Workload = identity;

                var claims = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
                claims.SetClaim(Claims.Subject, identity.Subject);
                claims.SetClaim(Claims.Issuer, identity.Issuer);
                var principal = new ClaimsPrincipal(claims);
                principal.SetTokenType(LumoAgentsOpenIddictConstants.JwtTokenType);
                principal.SetExpirationDate(identity.ExpiresAt);
                context.Principal = principal;
            }
        }

        /// <summary>Decides the login with the workload bindings and signs the bound agent's token in.</summary>
        public sealed class IssueToken : IOpenIddictServerHandler<HandleTokenRequestContext>
        {
            private readonly WorkloadLoginPolicy _policy;
            private readonly AgentTokenIssuance _issuance;

            /// <summary>Creates the handler.</summary>
            public IssueToken(WorkloadLoginPolicy policy, BudgetGate budgets, IOptionsMonitor<LumoAgentsOptions> options, ILogger<IssueToken> logger, TimeProvider time)
            {
                _policy = policy;
                _issuance = new AgentTokenIssuance(budgets, options, logger, time);
            }

            /// <summary>The descriptor: after OpenIddict attaches the validated subject token, before its sign-in.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireWorkloadLogin>()
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
                var state = context.Transaction.GetAgentState();
                var identity = state.Workload ?? throw new InvalidOperationException("The workload token was not validated by the agent pack.");
                state.ClientUnauthenticated = true; // the platform token is the only credential
                return await _policy.DecideAsync(identity, AgentTokenIssuance.RequestedScopes(context.Request),
                    AgentTokenIssuance.RequestedAudiences(context.Request), context.CancellationToken);
            }
        }
    }
}
