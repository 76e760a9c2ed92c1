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
        ValidateResources.Descriptor, ValidateAudiencePermissions.Descriptor, ValidateResourcePermissions.Descriptor,
        ValidateAuthorizedParty.Descriptor,
    }.Select(descriptor => descriptor.ServiceDescriptor.ServiceType));

    /// <inheritdoc />
    public void Configure(OpenIddictServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Handlers.AddRange(LumoAgentsServerHandlers.DefaultHandlers);

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
        for (var i = 0; i < options.Handlers.Count; i++)
        {
            var handler = options.Handlers[i];
            var type = handler.ServiceDescriptor.ServiceType;
            if (ReplacedForAgentRequests.Contains(type))
            {
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ValidateTokenRequestContext, LumoAgentsServerHandlerFilters.RequireHostTokenRequest>(handler);
            }
            else if (type == typeof(OpenIddictServerHandlers.ValidateClientId))
            {
                // Anonymous access is scoped to the documented request instead of AcceptAnonymousClients, which would
                // open introspection and revocation to anyone holding a token.
                options.Handlers[i] = WithFilter<OpenIddictServerEvents.ProcessAuthenticationContext, LumoAgentsServerHandlerFilters.RequireClientUnlessAnonymousExchange>(handler);
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
