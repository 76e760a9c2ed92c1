using System.Collections.Immutable;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;
using Builtin = OpenIddict.Server.OpenIddictServerHandlers.Exchange;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// The rules of the token endpoint for every request, the pack's or the host's: single-valued parameters, an
    /// identified client on every grant but token exchange, the granted scope in the response, and the status and
    /// <c>Retry-After</c> of a refusal that can be retried.
    /// </summary>
    public static class Exchange
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            RejectDuplicateParameters.Descriptor,
            RequireClientIdentification.Descriptor,
            AttachGrantedScope.Descriptor,
            ApplyRetryAfter.Descriptor,
        ];

        /// <summary>Refuses a token request that repeats a single-valued parameter (RFC 6749 section 3.1), before OpenIddict reads one of the values.</summary>
        public sealed class RejectDuplicateParameters : IOpenIddictServerHandler<ValidateTokenRequestContext>
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
            public RejectDuplicateParameters(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: before OpenIddict's first check of the token request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .UseSingletonHandler<RejectDuplicateParameters>()
                    .SetOrder(Builtin.ValidateGrantType.Descriptor.Order - 3_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (RequestParameters.FirstRepeated(context.Request, SingleValued) is { } repeated)
                {
                    AgentRejection.RejectTokenRequest(context, new AgentError(AgentErrorCodes.ParameterDuplicated, OAuthErrors.InvalidRequest,
                        $"The '{repeated}' parameter appears more than once."), _options.CurrentValue);
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Refuses a request of any grant but token exchange that names no client. The pack accepts anonymous requests for
        /// token exchange only (the actor or platform token proves the agent there); every other grant names its client,
        /// whatever <c>AcceptAnonymousClients()</c> would allow.
        /// </summary>
        public sealed class RequireClientIdentification : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public RequireClientIdentification(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: before OpenIddict's first check of the token request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .UseSingletonHandler<RequireClientIdentification>()
                    .SetOrder(Builtin.ValidateGrantType.Descriptor.Order - 2_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var request = context.Request;
                if (!request.IsTokenExchangeGrantType() && string.IsNullOrEmpty(request.ClientId) && !string.IsNullOrEmpty(request.GrantType))
                {
                    AgentRejection.RejectTokenRequest(context, new AgentError(AgentErrorCodes.ClientIdentificationRequired, OAuthErrors.InvalidClient,
                        $"The '{request.GrantType}' grant requires the client to identify itself (client_id)."), _options.CurrentValue);
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Says in every token response the pack issues which scope was granted (RFC 6749 section 5.1, RFC 8693 section
        /// 2.2.1: required whenever it differs from what was asked): a request without <c>scope</c> gets the agent's default
        /// scopes, narrowing may drop some, and the client learns it from the response instead of decoding the token.
        /// </summary>
        public sealed class AttachGrantedScope : IOpenIddictServerHandler<ApplyTokenResponseContext>
        {
            /// <summary>The descriptor: before the audit record and the status code, so both see the final response.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
                    .UseSingletonHandler<AttachGrantedScope>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachHttpResponseCode<ApplyTokenResponseContext>.Descriptor.Order - 2_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ApplyTokenResponseContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (string.IsNullOrEmpty(context.Response.Error) && !string.IsNullOrEmpty(context.Response.AccessToken) &&
                    context.Transaction.GetAgentDecision() is { Error: null } decision && decision.Scopes.Count > 0)
                {
                    context.Response.Scope = decision.Scopes.ToString();
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Sends a budget refusal as HTTP 429 with <c>Retry-After</c> set to the seconds until the spent window resets,
        /// instead of the 400 OpenIddict would send for the error, and a refusal while the database is not answering as
        /// 503 with <c>Retry-After</c>.
        /// </summary>
        public sealed class ApplyRetryAfter : IOpenIddictServerHandler<ApplyTokenResponseContext>
        {
            private readonly TimeProvider _time;

            /// <summary>Creates the handler.</summary>
            public ApplyRetryAfter(TimeProvider time) => _time = time;

            /// <summary>The descriptor: after OpenIddict picks the status code, before it writes the body.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
                    .UseSingletonHandler<ApplyRetryAfter>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachHttpResponseCode<ApplyTokenResponseContext>.Descriptor.Order + 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ApplyTokenResponseContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (AgentTokenRequestState.Find(context.Transaction)?.RetryAt is { } resetAt &&
                    context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response &&
                    context.Response.Error == OAuthErrors.TemporarilyUnavailable)
                {
                    response.StatusCode = (string?)context.Response[LumoAgentsOpenIddictConstants.ErrorCodeParameter] == AgentErrorCodes.BudgetExhausted ? 429 : 503;
                    response.Headers.RetryAfter = ProtocolResponse.RetryAfterSeconds(resetAt, _time.GetUtcNow());
                }

                return ValueTask.CompletedTask;
            }
        }
    }
}
