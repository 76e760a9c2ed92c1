using System.Collections.Immutable;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Clients;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Registration;
using Microsoft.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using Builtin = OpenIddict.Server.OpenIddictServerHandlers;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// Users' own clients that register themselves, as MCP clients do: an https <c>client_id</c> is read as an OAuth
    /// Client ID Metadata Document (<see cref="ClientMetadataDocumentResolver"/>) and becomes a public OpenIddict
    /// application before OpenIddict looks the client up; discovery says so (<c>client_id_metadata_document_supported</c>)
    /// and names the dynamic registration endpoint when it is on.
    /// </summary>
    public static class ClientRegistration
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            RegisterMetadataDocumentClient.Descriptor, AdvertiseClientRegistration.Descriptor,
        ];

        /// <summary>
        /// A request whose <c>client_id</c> is an https URL, at the authorization, pushed authorization, token and revocation
        /// endpoints: the document there is resolved and the client's application created or brought up to date, so
        /// OpenIddict's own checks (client, exact redirect URI, PKCE, permissions) then apply to it. A document the server
        /// will not use is <c>invalid_client</c> with <c>client_metadata_document_refused</c>, audited.
        /// </summary>
        public sealed class RegisterMetadataDocumentClient : IOpenIddictServerHandler<ProcessAuthenticationContext>
        {
            private readonly ClientMetadataDocumentResolver _resolver;
            private readonly UserClientRegistrar _registrar;
            private readonly AuditTrail _trail;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            internal RegisterMetadataDocumentClient(ClientMetadataDocumentResolver resolver, UserClientRegistrar registrar, AuditTrail trail, IOptionsMonitor<LumoAgentsOptions> options)
            {
                _resolver = resolver;
                _registrar = registrar;
                _trail = trail;
                _options = options;
            }

            /// <summary>The descriptor: just before OpenIddict looks the client up.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
                    .UseScopedHandler(static provider => new RegisterMetadataDocumentClient(
                        provider.GetRequiredService<ClientMetadataDocumentResolver>(), new UserClientRegistrar(
                            provider.GetRequiredService<global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(),
                            provider.GetRequiredService<IOptionsMonitor<LumoAgentsOptions>>()),
                        provider.GetRequiredService<AuditTrail>(), provider.GetRequiredService<IOptionsMonitor<LumoAgentsOptions>>()))
                    .SetOrder(Builtin.ValidateClientId.Descriptor.Order - 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(ProcessAuthenticationContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (context.EndpointType is not (OpenIddictServerEndpointType.Authorization or OpenIddictServerEndpointType.PushedAuthorization or
                        OpenIddictServerEndpointType.Token or OpenIddictServerEndpointType.Revocation) ||
                    (context.ClientId ?? context.Request?.ClientId) is not { } clientId || !_resolver.IsDocumentClientId(clientId))
                {
                    return;
                }

                var result = await _resolver.ResolveAsync(clientId, context.CancellationToken);
                if (result.Document is { } document)
                {
                    await _registrar.EnsureAsync(document, "metadata_document", context.CancellationToken);
                    return;
                }

                var error = new AgentError(AgentErrorCodes.ClientMetadataDocumentRefused, OAuthErrors.InvalidClient, result.Problem!);
                await _trail.RecordProtocolRefusalAsync(error.OAuthError, error.Description, error.Code, new AuditContext
                {
                    GrantType = context.EndpointType == OpenIddictServerEndpointType.Token ? context.Request?.GrantType ?? "token_request" : "authorization_request",
                    ClientId = clientId.Length <= 200 ? clientId : null,
                    ClientIp = context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress?.ToString(),
                }, context.CancellationToken);
                AgentRejection.Reject(context, error, _options.CurrentValue);
            }
        }

        /// <summary>
        /// Discovery (RFC 8414 and OpenID Connect): <c>client_id_metadata_document_supported</c> when metadata documents are
        /// on, and <c>registration_endpoint</c> (RFC 7591) when dynamic registration is.
        /// </summary>
        public sealed class AdvertiseClientRegistration : IOpenIddictServerHandler<HandleConfigurationRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;
            private readonly DynamicRegistrationState _dynamic;

            /// <summary>Creates the handler.</summary>
            internal AdvertiseClientRegistration(IOptionsMonitor<LumoAgentsOptions> options, DynamicRegistrationState dynamic)
            {
                _options = options;
                _dynamic = dynamic;
            }

            /// <summary>The descriptor.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                    .UseSingletonHandler(static provider => new AdvertiseClientRegistration(
                        provider.GetRequiredService<IOptionsMonitor<LumoAgentsOptions>>(), provider.GetRequiredService<DynamicRegistrationState>()))
                    .SetOrder(int.MaxValue - 100_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(HandleConfigurationRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var registration = _options.CurrentValue.ClientRegistration;
                if (registration.MetadataDocuments.Enabled)
                {
                    context.Metadata["client_id_metadata_document_supported"] = true;
                }

                // Beside the other endpoints: relative to the issuer when it is pinned, else to the address the request came
                // in on, as OpenIddict's own endpoint addresses are.
                if (registration.Dynamic.Enabled && _dynamic.Path is { } path && (context.Issuer ?? context.BaseUri) is { } origin)
                {
                    context.Metadata["registration_endpoint"] = new Uri(origin, path.TrimStart('/')).AbsoluteUri;
                }

                return default;
            }
        }

        /// <summary>The default address of the RFC 7591 registration endpoint (<c>MapLumoAgentsClientRegistration</c>).</summary>
        public const string DynamicRegistrationPath = "/connect/register";
    }
}
