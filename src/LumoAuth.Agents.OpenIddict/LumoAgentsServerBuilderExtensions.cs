using LumoAuth.Agents;
using LumoAuth.Agents.OpenIddict;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.OpenIddict.Handlers;
using LumoAuth.Agents.OpenIddict.Registration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

// Kept in the DI namespace, as OpenIddict's own builder extensions are.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The entry point of the OpenIddict integration.</summary>
public static class LumoAgentsServerBuilderExtensions
{
    /// <summary>
    /// Makes the OpenIddict server agent-aware. It enables the client credentials and token exchange grants, issues
    /// agents' access tokens as signed, unencrypted RFC 9068 JWTs (the host's other access tokens keep the server's
    /// setting), takes over the token-exchange grant with the delegation policy, decides agents' client credentials
    /// requests with their capabilities, and writes an audit record for every issuance and refusal. Call
    /// <c>services.AddLumoAgents()</c> as well. Safe to call twice.
    /// </summary>
    /// <remarks>
    /// It accepts token-exchange requests that name no client (the seed's request, where the actor token proves
    /// the agent) and nothing else anonymous: every other grant, introspection and revocation still need an identified
    /// client (the pack does not turn on <c>AcceptAnonymousClients</c>). Call <c>RequireClientAuthenticationForExchange()</c>
    /// on the returned builder to demand client authentication on exchange too. Only access tokens are accepted as
    /// subject and actor tokens. PKCE accepts <c>S256</c> only (RFC 9700 section 2.1.1).
    /// </remarks>
    /// <returns>The pack's builder, for its options.</returns>
    public static LumoAgentsServerBuilder UseLumoAgents(this OpenIddictServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.AllowClientCredentialsFlow()
               .AllowTokenExchangeFlow()
               .AllowCustomFlow(LumoAgentsOpenIddictConstants.CibaGrantType);

        // Handlers and filters are resolved from the container; their order and filters live in the options.
        builder.Services.TryAdd(LumoAgentsServerHandlers.DefaultHandlers.Select(descriptor => descriptor.ServiceDescriptor));
        builder.Services.TryAddScoped<LumoAgentsServerHandlerFilters.RequireAgentClientCredentials>();
        builder.Services.TryAddScoped<LumoAgentsServerHandlerFilters.RequireHostTokenRequest>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireNewGrant>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireDelegation>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireWorkloadLogin>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireUserGrantRedemption>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireClientUnlessAnonymousExchange>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireAgentAccessToken>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.SkipDpopBoundTokens>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.RequireApprovalGrant>();
        builder.Services.TryAddSingleton<LumoAgentsServerHandlerFilters.SkipApprovalGrant>();
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Approvals.BackchannelEndpointState>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<OpenIddictServerOptions>, LumoAgentsServerConfiguration>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIddictServerOptions>, LumoAgentsServerConfiguration>());

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, AuditRetentionService>());
        // OAuth errors, never the host's error page, for whatever escapes a protocol endpoint.
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolEndpointPaths>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Transient<Microsoft.AspNetCore.Hosting.IStartupFilter, LumoAuth.Agents.OpenIddict.Endpoints.ProtocolErrorBoundaryStartupFilter>());
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolErrorBoundary>();
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler, LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>(
            static provider => provider.GetRequiredService<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IDeveloperPageExceptionFilter, LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>(
            static provider => provider.GetRequiredService<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>()));
        builder.Services.TryAddScoped<IAgentClientRegistrar, OpenIddictAgentClientRegistrar>();
        builder.Services.TryAddSingleton<DynamicRegistrationState>();

        // Agents authenticate on every token request: remember verified client secrets briefly instead of re-running
        // OpenIddict's PBKDF2 check each time (see VerifiedSecretCache).
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Clients.VerifiedSecretCache>();
        builder.Services.Replace(ServiceDescriptor.Scoped(typeof(global::OpenIddict.Core.OpenIddictApplicationManager<>), typeof(LumoAuth.Agents.OpenIddict.Clients.CachingApplicationManager<>)));
        // Every token request looks up its client: keep applications across requests like agents (RegistryCacheDuration).
        builder.Services.TryAddSingleton(typeof(LumoAuth.Agents.OpenIddict.Clients.SharedApplicationSnapshots<>));
        builder.Services.Replace(ServiceDescriptor.Scoped(typeof(global::OpenIddict.Abstractions.IOpenIddictApplicationCache<>), typeof(LumoAuth.Agents.OpenIddict.Clients.SharedApplicationCache<>)));
        LumoAuth.Agents.OpenIddict.AAuth.AAuthServices.Add(builder.Services);
        // The policies of the admin, audit and usage APIs (agents:admin, agents:usage).
        builder.Services.AddLumoAgentsApiPolicies();
        return new LumoAgentsServerBuilder(builder.Services);
    }

    /// <summary>
    /// Makes the OpenIddict server agent-aware (see <see cref="UseLumoAgents(OpenIddictServerBuilder)"/>) and sets the
    /// pack's options with <paramref name="configuration"/>, returning the server builder to go on configuring it.
    /// </summary>
    /// <param name="builder">The OpenIddict server builder.</param>
    /// <param name="configuration">Sets the pack's options.</param>
    /// <returns>The OpenIddict server builder.</returns>
    public static OpenIddictServerBuilder UseLumoAgents(this OpenIddictServerBuilder builder, Action<LumoAgentsServerBuilder> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration(builder.UseLumoAgents());
        return builder;
    }
}
