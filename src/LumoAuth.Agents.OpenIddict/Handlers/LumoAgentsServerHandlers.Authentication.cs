using System.Collections.Immutable;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>The authorization endpoint's rules the pack adds to OpenIddict's.</summary>
    public static class Authentication
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } = [RejectDuplicateParameters.Descriptor];

        /// <summary>
        /// Refuses an authorization request that repeats a single-valued parameter (RFC 6749 section 3.1: "request and
        /// response parameters MUST NOT be included more than once"), before OpenIddict picks one of the values: a repeated
        /// <c>redirect_uri</c> could otherwise be read one way when validated and another when the code is redeemed. The
        /// refusal is <c>invalid_request</c> (<c>parameter_duplicated</c>), shown rather than redirected, since which redirect
        /// URI was meant is exactly what is in doubt, and audited.
        /// </summary>
        public sealed class RejectDuplicateParameters : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
        {
            private static readonly string[] SingleValued =
            [
                OpenIddictConstants.Parameters.ClientId, OpenIddictConstants.Parameters.ResponseType, OpenIddictConstants.Parameters.RedirectUri,
                OpenIddictConstants.Parameters.Scope, OpenIddictConstants.Parameters.State, OpenIddictConstants.Parameters.CodeChallenge,
                OpenIddictConstants.Parameters.CodeChallengeMethod, OpenIddictConstants.Parameters.Nonce, OpenIddictConstants.Parameters.Prompt,
                OpenIddictConstants.Parameters.ResponseMode, OpenIddictConstants.Parameters.Request, OpenIddictConstants.Parameters.RequestUri,
            ];

            private readonly AuditTrail _trail;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public RejectDuplicateParameters(AuditTrail trail, IOptionsMonitor<LumoAgentsOptions> options)
            {
                _trail = trail;
                _options = options;
            }

            /// <summary>The descriptor: before OpenIddict's first check of the authorization request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
                    .UseScopedHandler<RejectDuplicateParameters>()
                    .SetOrder(OpenIddictServerHandlers.Authentication.ValidateRequestParameter.Descriptor.Order - 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (RequestParameters.FirstRepeated(context.Request, SingleValued) is not { } name)
                {
                    return;
                }

                var error = new AgentError(AgentErrorCodes.ParameterDuplicated, OAuthErrors.InvalidRequest, $"The '{name}' parameter appears more than once.");
                await _trail.RecordProtocolRefusalAsync(error.OAuthError, error.Description, error.Code, new AuditContext
                {
                    GrantType = "authorization_request",
                    ClientId = context.ClientId is { Length: > 0 and <= 200 } clientId ? clientId : null,
                    ClientIp = context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress?.ToString(),
                }, context.CancellationToken);
                AgentRejection.Reject(context, error, _options.CurrentValue);
            }
        }
    }
}
