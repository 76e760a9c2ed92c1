using System.Collections.Immutable;
using System.Text.Json;
using LumoAuth.Agents.Approvals;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.OpenIddict.Approvals;
using Microsoft.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// Human approval (OpenID CIBA Core 1.0): the CIBA grant on the token endpoint, which redeems a user's approval for a
    /// delegated token, its <c>authorization_details</c> in the response, and the backchannel endpoint in discovery.
    /// </summary>
    public static class Approvals
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ValidateParameters.Descriptor,
            IssueToken.Descriptor,
            AttachAuthorizationDetails.Descriptor,
            AdvertiseBackchannelAuthentication.Descriptor,
        ];

        /// <summary>Refuses a CIBA token request without a usable <c>auth_req_id</c>, before OpenIddict's checks.</summary>
        public sealed class ValidateParameters : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateParameters(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: before OpenIddict's first check of the token request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireApprovalGrant>()
                    .UseSingletonHandler<ValidateParameters>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.ValidateGrantType.Descriptor.Order - 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var request = context.Request;
                if (RequestParameters.FirstRepeated(request, [LumoAgentsOpenIddictConstants.AuthRequestIdParameter]) is { } repeated)
                {
                    AgentRejection.RejectTokenRequest(context, new AgentError(AgentErrorCodes.ParameterDuplicated, OAuthErrors.InvalidRequest,
                        $"The '{repeated}' parameter appears more than once."), _options.CurrentValue);
                }
                else if ((string?)request[LumoAgentsOpenIddictConstants.AuthRequestIdParameter] is not { Length: > 0 and <= 100 })
                {
                    AgentRejection.RejectTokenRequest(context, new AgentError(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest,
                        "The 'auth_req_id' parameter is missing, empty or longer than 100 characters."), _options.CurrentValue);
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Redeems the approval with the <see cref="ApprovalPolicy"/> for the authenticated agent and signs the delegated
        /// token in: <c>sub</c> the user, <c>act</c> the agent, the approved scope, <c>approval_id</c> and
        /// <c>authorization_details</c>. Only a confidential agent redeems (CIBA Core §7.1).
        /// </summary>
        public sealed class IssueToken : IOpenIddictServerHandler<HandleTokenRequestContext>
        {
            private readonly ApprovalPolicy _policy;
            private readonly IOpenIddictApplicationManager _applications;
            private readonly AuditTrail _audit;
            private readonly AgentTokenIssuance _issuance;

            /// <summary>Creates the handler.</summary>
            public IssueToken(ApprovalPolicy policy, IOpenIddictApplicationManager applications, AuditTrail audit, BudgetGate budgets,
                IOptionsMonitor<LumoAgentsOptions> options, ILogger<IssueToken> logger, TimeProvider time)
            {
                _policy = policy;
                _applications = applications;
                _audit = audit;
                _issuance = new AgentTokenIssuance(budgets, options, logger, time);
            }

            /// <summary>The descriptor: after OpenIddict authenticates the client, before its sign-in.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireApprovalGrant>()
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
                var clientId = context.ClientId!;
                if (await _applications.FindByClientIdAsync(clientId, context.CancellationToken) is not { } application ||
                    !await _applications.HasClientTypeAsync(application, ClientTypes.Confidential, context.CancellationToken))
                {
                    return new IssuanceDecision
                    {
                        AgentId = clientId,
                        Error = new AgentError(AgentErrorCodes.ClientAuthenticationRequired, OAuthErrors.UnauthorizedClient,
                            "Only a confidential client that authenticates can redeem an approval (OpenID CIBA Core section 7.1)."),
                    };
                }

                var ip = context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress?.ToString();
                var audit = new AuditContext { GrantType = LumoAgentsOpenIddictConstants.CibaGrantType, ClientId = clientId, ClientIp = ip };
                return await _policy.RedeemAsync((string)context.Request[LumoAgentsOpenIddictConstants.AuthRequestIdParameter]!, clientId,
                    context.Transaction.GetAgentState().DpopThumbprint,
                    async (step, request) => await _audit.RecordApprovalAsync(step, request, null, audit, context.CancellationToken),
                    context.CancellationToken);
            }
        }

        /// <summary>Returns what was approved (RFC 9396 §7: <c>authorization_details</c>) in the token response of the CIBA grant.</summary>
        public sealed class AttachAuthorizationDetails : IOpenIddictServerHandler<ApplyTokenResponseContext>
        {
            /// <summary>The descriptor: before the audit record and the status code.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
                    .UseSingletonHandler<AttachAuthorizationDetails>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachHttpResponseCode<ApplyTokenResponseContext>.Descriptor.Order - 2_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ApplyTokenResponseContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (string.IsNullOrEmpty(context.Response.Error) && !string.IsNullOrEmpty(context.Response.AccessToken) &&
                    context.Transaction.GetAgentDecision() is { Error: null, AuthorizationDetails: { } details })
                {
                    using var document = JsonDocument.Parse(details);
                    context.Response[LumoAgentsOpenIddictConstants.AuthorizationDetailsParameter] = new OpenIddictParameter(document.RootElement.Clone());
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Discovery (CIBA Core §4, RFC 9396 §10): the backchannel endpoint, poll and ping delivery, no user code, and the
        /// authorization detail types, once <c>MapLumoAgentsBackchannelAuthentication()</c> mapped the endpoint.
        /// </summary>
        public sealed class AdvertiseBackchannelAuthentication : IOpenIddictServerHandler<HandleConfigurationRequestContext>
        {
            private static readonly string[] DeliveryModes = ["poll", "ping"];
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;
            private readonly BackchannelEndpointState _state;

            /// <summary>Creates the handler.</summary>
            internal AdvertiseBackchannelAuthentication(IOptionsMonitor<LumoAgentsOptions> options, BackchannelEndpointState state)
            {
                _options = options;
                _state = state;
            }

            /// <summary>The descriptor.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                    .UseSingletonHandler(static provider => new AdvertiseBackchannelAuthentication(
                        provider.GetRequiredService<IOptionsMonitor<LumoAgentsOptions>>(), provider.GetRequiredService<BackchannelEndpointState>()))
                    .SetOrder(int.MaxValue - 100_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(HandleConfigurationRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (_state.Path is { } path && (context.Issuer ?? context.BaseUri) is { } origin)
                {
                    context.Metadata["backchannel_authentication_endpoint"] = new Uri(origin, path.TrimStart('/')).AbsoluteUri;
                    context.Metadata["backchannel_token_delivery_modes_supported"] = JsonSerializer.SerializeToElement(DeliveryModes);
                    context.Metadata["backchannel_user_code_parameter_supported"] = false;
                    var types = _options.CurrentValue.Approvals.AuthorizationDetailTypes.Keys.Order(StringComparer.Ordinal).ToArray();
                    if (types.Length > 0)
                    {
                        context.Metadata["authorization_details_types_supported"] = JsonSerializer.SerializeToElement(types);
                    }
                }

                return default;
            }
        }
    }
}
