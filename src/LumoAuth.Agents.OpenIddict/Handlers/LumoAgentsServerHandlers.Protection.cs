using System.Collections.Immutable;
using LumoAuth.Agents.Configuration;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using Builtin = OpenIddict.Server.OpenIddictServerHandlers.Protection;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// The shape of the access tokens the agent policy grants, whatever the server does for the host's other tokens:
    /// a signed RFC 9068 JWT that resources validate with the server's public keys alone, kept without a token entry
    /// unless <see cref="LumoAgentsOptions.StoreAgentAccessTokens"/> is on.
    /// </summary>
    public static class Protection
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            SignWithoutEncryption.Descriptor,
            SignForProtectedResources.Descriptor,
            SkipTokenEntry.Descriptor,
        ];

        /// <summary>
        /// Leaves an agent's access token signed but not encrypted, so any resource can read it with the published keys
        /// (RFC 9068), without turning encryption off for the host's own clients, whose access tokens keep the server's
        /// setting.
        /// </summary>
        public sealed class SignWithoutEncryption : IOpenIddictServerHandler<GenerateTokenContext>
        {
            /// <summary>The descriptor: just after OpenIddict picks the token's signing and encryption credentials.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireAgentAccessToken>()
                    .UseSingletonHandler<SignWithoutEncryption>()
                    .SetOrder(Builtin.AttachSecurityCredentials.Descriptor.Order + 250)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(GenerateTokenContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                context.EncryptionCredentials = null;
                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Leaves an access token signed but not encrypted when every audience is a registered protected resource
        /// (<see cref="LumoAgentsOptions.Resources"/>): those resources (MCP servers, APIs) validate the server's JWTs with
        /// its published keys and cannot read a token encrypted for the server itself. A user's app asking for such a resource
        /// gets a token that resource can use; the host's other access tokens keep the server's setting.
        /// </summary>
        public sealed class SignForProtectedResources : IOpenIddictServerHandler<GenerateTokenContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public SignForProtectedResources(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: beside <see cref="SignWithoutEncryption"/>.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                    .UseSingletonHandler<SignForProtectedResources>()
                    .SetOrder(Builtin.AttachSecurityCredentials.Descriptor.Order + 300)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(GenerateTokenContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var resources = _options.CurrentValue.Resources;
                if (context.TokenType == OpenIddictConstants.TokenTypeIdentifiers.AccessToken && resources.Count > 0 &&
                    context.Principal?.GetAudiences() is { IsDefaultOrEmpty: false } audiences &&
                    audiences.All(audience => resources.Any(r => string.Equals(r.Identifier, audience, StringComparison.Ordinal))))
                {
                    context.EncryptionCredentials = null;
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Issues agents' access tokens without an OpenIddict token entry unless <see cref="LumoAgentsOptions.StoreAgentAccessTokens"/>
        /// is on: the token is a signed, self-contained JWT, and its liveness is judged on every use by agent status and
        /// consent. Codes, refresh tokens and the host's own clients' tokens keep their entries.
        /// </summary>
        public sealed class SkipTokenEntry : IOpenIddictServerHandler<GenerateTokenContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public SkipTokenEntry(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor: just before OpenIddict creates the entry.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireAgentAccessToken>()
                    .UseSingletonHandler<SkipTokenEntry>()
                    .SetOrder(Builtin.CreateTokenEntry.Descriptor.Order - 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(GenerateTokenContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (!_options.CurrentValue.StoreAgentAccessTokens)
                {
                    context.CreateTokenEntry = false;
                    context.PersistTokenPayload = false;
                }

                return ValueTask.CompletedTask;
            }
        }
    }
}
