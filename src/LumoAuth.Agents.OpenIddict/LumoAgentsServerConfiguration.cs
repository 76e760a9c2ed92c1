using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.OpenIddict.Handlers;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerHandlers.Exchange;

namespace LumoAuth.Agents.OpenIddict;

/// <summary>
/// Adds the pack's handlers (<see cref="LumoAgentsServerHandlers.DefaultHandlers"/>) and token types to the OpenIddict
/// server, and scopes those of OpenIddict's own checks that the agent policy replaces to the host's requests.
/// Registered once by <c>UseLumoAgents()</c>.
/// </summary>
internal sealed class LumoAgentsServerConfiguration : IConfigureOptions<OpenIddictServerOptions>, IPostConfigureOptions<OpenIddictServerOptions>
{
    // OpenIddict's scope, audience and authorized-party checks know nothing of capabilities or allowed tools; for the
    // pack's requests the policy makes them instead, with its own codes. The host's requests keep them.
    private static readonly HashSet<Type> ReplacedForAgentRequests = new(new[]
    {
        ValidateScopes.Descriptor, ValidateScopePermissions.Descriptor, ValidateAudiences.Descriptor,
        ValidateResources.Descriptor, ValidateAudiencePermissions.Descriptor, ValidateAuthorizedParty.Descriptor,
    }.Select(descriptor => descriptor.ServiceDescriptor.ServiceType));

    private readonly IOptions<LumoAgentsOptions> _agents;

    /// <summary>Creates the configuration.</summary>
    public LumoAgentsServerConfiguration(IOptions<LumoAgentsOptions> agents) => _agents = agents;

    /// <inheritdoc />
    public void Configure(OpenIddictServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Handlers.AddRange(LumoAgentsServerHandlers.DefaultHandlers);

        // The registered protected resources are OpenIddict's too, so its own check of the host's requests knows them.
        foreach (var resource in _agents.Value.Resources)
        {
            options.Resources.Add(new Uri(resource.Identifier, UriKind.Absolute));
        }

        // Only access tokens are subject and actor tokens, and a platform JWT is a subject token (workload login).
        options.SubjectTokenTypes.IntersectWith([LumoAgentsOpenIddictConstants.AccessTokenType]);
        options.SubjectTokenTypes.Add(LumoAgentsOpenIddictConstants.JwtTokenType);
        options.ActorTokenTypes.IntersectWith([LumoAgentsOpenIddictConstants.AccessTokenType]);

        // RFC 9700 section 2.1.1: PKCE with S256 only. "plain" puts the verifier itself in the authorization request,
        // where it leaks with the URL; neither accepted nor advertised.
        options.CodeChallengeMethods.Remove(global::OpenIddict.Abstractions.OpenIddictConstants.CodeChallengeMethods.Plain);
    }

    /// <inheritdoc />
    /// <remarks>After OpenIddict's own configuration, so the built-in handlers are all there to be filtered.</remarks>
    public void PostConfigure(string? name, OpenIddictServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        AddAuthorizationServerMetadataAddresses(options);
        for (var i = 0; i < options.Handlers.Count; i++)
        {
            var handler = options.Handlers[i];
            var type = handler.ServiceDescriptor.ServiceType;
            if (ReplacedForAgentRequests.Contains(type))
            {
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ValidateTokenRequestContext, LumoAgentsServerHandlerFilters.RequireHostTokenRequest>(handler);
            }
            else if (type == typeof(ValidateResourcePermissions))
            {
                // Redemptions are bounded by their grant instead (Resources.ValidateGrantedResources), and the pack's
                // requests by the agent policy: OpenIddict's check stays for the host's new grants.
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ValidateTokenRequestContext, LumoAgentsServerHandlerFilters.RequireNewGrant>(
                    WithFilter<OpenIddictServerEvents.ValidateTokenRequestContext, LumoAgentsServerHandlerFilters.RequireHostTokenRequest>(handler));
            }
            else if (type == typeof(OpenIddictServerHandlers.Authentication.ValidateResourcePermissions))
            {
                // Resources.ValidateAuthorizationResources makes the same check for the host's clients (answering
                // invalid_target, as RFC 8707 says) and the allowed-tool check for agents.
                options.Handlers.RemoveAt(i--);
            }
            else if (type == typeof(ValidateGrantTypePermissions))
            {
                // The approval policy decides the CIBA grant (only the agent that asked redeems), so agents registered
                // before it existed need no new permission.
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ValidateTokenRequestContext, LumoAgentsServerHandlerFilters.SkipApprovalGrant>(handler);
            }
            else if (type == typeof(OpenIddictServerHandlers.Protection.ValidateProofOfPossession))
            {
                // OpenIddict knows certificate bindings only and throws on a DPoP one (cnf.jkt): the pack checks those
                // itself (Dpop.ValidateProof), so OpenIddict's check stays for every other token.
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ValidateTokenContext, LumoAgentsServerHandlerFilters.SkipDpopBoundTokens>(handler);
            }
            else if (type == typeof(OpenIddictServerHandlers.ValidateClientId))
            {
                // Anonymous access is scoped to the documented request instead of AcceptAnonymousClients, which would
                // open introspection and revocation to anyone holding a token.
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ProcessAuthenticationContext, LumoAgentsServerHandlerFilters.RequireClientUnlessAnonymousExchange>(handler);
            }
        }
    }

    /// <summary>
    /// RFC 8414 §3: the server's metadata is also served at <c>/.well-known/oauth-authorization-server</c>, which OAuth
    /// clients such as MCP clients read first, with the same document as OpenID Connect discovery; for an issuer with a
    /// path, also at the path-inserted address (<c>https://host/.well-known/oauth-authorization-server/tenant</c>).
    /// </summary>
    private static void AddAuthorizationServerMetadataAddresses(OpenIddictServerOptions options)
    {
        if (options.ConfigurationEndpointUris.Count == 0)
        {
            return; // the host turned discovery off
        }

        var relative = new Uri(".well-known/oauth-authorization-server", UriKind.Relative);
        if (!options.ConfigurationEndpointUris.Contains(relative))
        {
            options.ConfigurationEndpointUris.Add(relative);
        }

        if (options.Issuer is { } issuer && issuer.AbsolutePath.TrimEnd('/') is { Length: > 0 } path)
        {
            // Relative, like OpenIddict's own addresses: matched on the request's path, whatever name the host is reached by.
            var inserted = new Uri(".well-known/oauth-authorization-server" + path, UriKind.Relative);
            if (!options.ConfigurationEndpointUris.Contains(inserted))
            {
                options.ConfigurationEndpointUris.Add(inserted);
            }
        }
    }

    private static OpenIddictServerHandlerDescriptor WithFilter<TContext, TFilter>(OpenIddictServerHandlerDescriptor handler)
        where TContext : OpenIddictServerEvents.BaseContext
        where TFilter : class, IOpenIddictServerHandlerFilter<TContext> =>
        handler.FilterTypes.Contains(typeof(TFilter))
            ? handler
            : OpenIddictServerHandlerDescriptor.CreateBuilder<TContext>().Import(handler).AddFilter<TFilter>().Build();
}
