using System.Collections.Immutable;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Resources;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using Builtin = OpenIddict.Server.OpenIddictServerHandlers;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// RFC 8707 resource indicators on every grant. A <c>resource</c> must be a registered protected resource
    /// (<see cref="LumoAgentsOptions.Resources"/>), one the client may reach (an agent: one of its allowed tools; another
    /// client: its <c>rsrc:</c> permission), and on a redemption one the grant included; the access token's <c>aud</c> is
    /// then exactly the resources named. Every refusal is <c>invalid_target</c> (or <c>invalid_scope</c> for a scope none of
    /// the named resources accepts) with the pack's code.
    /// </summary>
    public static class Resources
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ValidateRegisteredResources.Descriptor, ValidateAuthorizationResources.Descriptor, ValidateGrantedResources.Descriptor,
            AttachRequestedResources.Descriptor, NarrowAccessTokenAudiences.Descriptor,
        ];

        /// <summary>
        /// Every token request: each <c>resource</c> is registered (with the pack, or with OpenIddict by the host) and the
        /// pack's resources named accept the scopes asked for. Whether an agent may reach it is the agent policy's rule
        /// (allowed tools); whether another client may, OpenIddict's permission check or, on a redemption,
        /// <see cref="ValidateGrantedResources"/>. Runs just before OpenIddict's own check of registered resources, so the
        /// refusal carries the pack's code.
        /// </summary>
        public sealed class ValidateRegisteredResources : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateRegisteredResources(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: just before OpenIddict's own check of registered resources.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .UseSingletonHandler<ValidateRegisteredResources>()
                    .SetOrder(Builtin.Exchange.ValidateResources.Descriptor.Order - 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var options = _options.CurrentValue;
                if (Check(options, context.Options, context.Request) is { } error)
                {
                    AgentRejection.RejectTokenRequest(context, error, options);
                }

                return default;
            }
        }

        /// <summary>
        /// An authorization request's <c>resource</c> values: registered, accepting the scopes asked for, and reachable by
        /// the client: an agent's allowed tool, or a resource another client holds the <c>rsrc:</c> permission for (unless the
        /// host ignores resource permissions). Takes the place of OpenIddict's <c>ValidateResourcePermissions</c> at this
        /// endpoint, which makes the same permission check but answers <c>invalid_request</c>, and knows nothing of agents.
        /// Refusals are audited and shown rather than redirected, like OpenIddict's own.
        /// </summary>
        public sealed class ValidateAuthorizationResources : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
        {
            private readonly IAgentStore _agents;
            private readonly IOpenIddictApplicationManager _applications;
            private readonly AuditTrail _trail;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateAuthorizationResources(IAgentStore agents, IOpenIddictApplicationManager applications, AuditTrail trail, IOptionsMonitor<LumoAgentsOptions> options)
            {
                _agents = agents;
                _applications = applications;
                _trail = trail;
                _options = options;
            }

            /// <summary>The descriptor: where OpenIddict's resource permission check would run.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
                    .UseScopedHandler<ValidateAuthorizationResources>()
                    .SetOrder(Builtin.Authentication.ValidateResourcePermissions.Descriptor.Order)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var resources = context.Request.GetResources();
                if (resources.IsDefaultOrEmpty || context.ClientId is not { } clientId)
                {
                    return;
                }

                var options = _options.CurrentValue;
                var error = Check(options, context.Options, context.Request) ?? await ReachAsync(context, clientId, resources);
                if (error is null)
                {
                    return;
                }

                await _trail.RecordProtocolRefusalAsync(error.OAuthError, error.Description, error.Code, new AuditContext
                {
                    GrantType = "authorization_request",
                    ClientId = clientId.Length <= 200 ? clientId : null,
                    AudiencesRequested = string.Join(' ', resources),
                    ClientIp = context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress?.ToString(),
                }, context.CancellationToken);
                AgentRejection.Reject(context, error, options);
            }

            private async ValueTask<AgentError?> ReachAsync(ValidateAuthorizationRequestContext context, string clientId, ImmutableArray<string> resources)
            {
                if (await _agents.FindAsync(clientId, context.CancellationToken) is { } agent)
                {
                    return resources.FirstOrDefault(r => !agent.AllowedTools.Contains(r)) is { } unreachable
                        ? new AgentError(AgentErrorCodes.TargetNotAllowed, OAuthErrors.InvalidTarget,
                            $"The resource '{ErrorText.Echo(unreachable)}' is not an allowed tool of agent '{agent.Id}'.")
                        : null;
                }

                if (context.Options.IgnoreResourcePermissions ||
                    await _applications.FindByClientIdAsync(clientId, context.CancellationToken) is not { } application)
                {
                    return null; // an unknown client was refused before this handler
                }

                foreach (var resource in resources)
                {
                    if (!await _applications.HasPermissionAsync(application, OpenIddictConstants.Permissions.Prefixes.Resource + resource, context.CancellationToken))
                    {
                        return new AgentError(AgentErrorCodes.TargetNotAllowed, OAuthErrors.InvalidTarget,
                            $"The client '{ErrorText.Echo(clientId)}' may not request tokens for the resource '{ErrorText.Echo(resource)}'.");
                    }
                }

                return null;
            }
        }

        /// <summary>
        /// A redemption of an authorization code or refresh token that names <c>resource</c>: each must be among the
        /// grant's resources (RFC 8707 §2.2), and the new access token is narrowed to them by <see cref="NarrowAccessTokenAudiences"/>.
        /// Takes the place of OpenIddict's <c>ValidateResourcePermissions</c> for redemptions, which checks the client's
        /// permissions again but lets a code granted for one resource buy a token for another.
        /// </summary>
        public sealed class ValidateGrantedResources : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public ValidateGrantedResources(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: once OpenIddict has validated the code or refresh token.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireUserGrantRedemption>()
                    .UseSingletonHandler<ValidateGrantedResources>()
                    .SetOrder(Builtin.Exchange.ValidateResourcePermissions.Descriptor.Order)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var requested = context.Request.GetResources();
                var grant = context.Request.IsAuthorizationCodeGrantType() ? context.AuthorizationCodePrincipal : context.RefreshTokenPrincipal;
                if (requested.IsDefaultOrEmpty || grant is null)
                {
                    return default;
                }

                var granted = grant.GetResources();
                if (requested.FirstOrDefault(r => !granted.Contains(r, StringComparer.Ordinal)) is { } beyond)
                {
                    AgentRejection.RejectTokenRequest(context, new AgentError(AgentErrorCodes.ResourceNotGranted, OAuthErrors.InvalidTarget,
                        $"The resource '{ErrorText.Echo(beyond)}' was not granted by the {(context.Request.IsAuthorizationCodeGrantType() ? "authorization code" : "refresh token")} redeemed; ask for it in a new authorization request."),
                        _options.CurrentValue);
                }

                return default;
            }
        }

        /// <summary>
        /// An authorization naming <c>resource</c>: when the host's code set no resources on the user's principal, the
        /// grant is for those asked for (checked before), so the code, its refresh tokens and their access tokens carry
        /// them.
        /// </summary>
        public sealed class AttachRequestedResources : IOpenIddictServerHandler<ProcessSignInContext>
        {
            /// <summary>The descriptor: before OpenIddict turns audiences into resources.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                    .UseSingletonHandler<AttachRequestedResources>()
                    .SetOrder(Builtin.InferResources.Descriptor.Order - 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ProcessSignInContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (context.EndpointType == OpenIddictServerEndpointType.Authorization && context.Request?.GetResources() is { IsDefaultOrEmpty: false } requested &&
                    context.Principal is { } principal && principal.GetResources().IsDefaultOrEmpty)
                {
                    principal.SetResources(requested);
                }

                return default;
            }
        }

        /// <summary>
        /// A redemption naming <c>resource</c> (checked against the grant before): the access token's <c>aud</c> is exactly
        /// those (RFC 8707 §2.2). The refresh token keeps the whole grant, so it can buy a token for another of its resources.
        /// </summary>
        public sealed class NarrowAccessTokenAudiences : IOpenIddictServerHandler<ProcessSignInContext>
        {
            /// <summary>The descriptor: once OpenIddict has prepared the access token's principal.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireUserGrantRedemption>()
                    .UseSingletonHandler<NarrowAccessTokenAudiences>()
                    .SetOrder(Builtin.PrepareAccessTokenPrincipal.Descriptor.Order + 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ProcessSignInContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (context.Request?.GetResources() is { IsDefaultOrEmpty: false } requested && context.AccessTokenPrincipal is { } principal)
                {
                    principal.SetAudiences(requested);
                }

                return default;
            }
        }

        /// <summary>The refusal for a request's <c>resource</c> values and scopes, or <see langword="null"/>.</summary>
        private static AgentError? Check(LumoAgentsOptions options, OpenIddictServerOptions server, OpenIddictRequest request)
        {
            var named = new List<ProtectedResource>();
            foreach (var identifier in request.GetResources())
            {
                if (options.Resources.FirstOrDefault(r => string.Equals(r.Identifier, identifier, StringComparison.Ordinal)) is { } resource)
                {
                    named.Add(resource);
                }
                else if (server.DisableResourceValidation is false && !server.Resources.Any(r => string.Equals(r.AbsoluteUri, identifier, StringComparison.Ordinal)))
                {
                    return new AgentError(AgentErrorCodes.ResourceUnknown, OAuthErrors.InvalidTarget,
                        $"The resource '{ErrorText.Echo(identifier)}' is not a protected resource registered at this server.");
                }
            }

            var beyond = named.Count == 0 ? null : request.GetScopes().FirstOrDefault(scope =>
                !AgentCapabilities.Reserved.Contains(scope) && !named.Any(r => r.Accepts(scope)));
            return beyond is null
                ? null
                : new AgentError(AgentErrorCodes.ScopeExceedsResource, OAuthErrors.InvalidScope,
                    $"The scope '{ErrorText.Echo(beyond)}' is accepted by none of the resources requested.");
        }
    }
}
