using LumoAuth.Agents;
using LumoAuth.Agents.OpenIddict;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.OpenIddict.Handlers;
using LumoAuth.Agents.OpenIddict.Registration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerHandlers.Exchange;

// Kept in the DI namespace, as OpenIddict's own builder extensions are.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The entry point of the OpenIddict integration.</summary>
public static class LumoAgentsServerBuilderExtensions
{
    /// <summary>
    /// Makes the OpenIddict server agent-aware. It enables the client credentials and token exchange grants,
    /// issues access tokens as signed, unencrypted RFC 9068 JWTs, takes over the token-exchange grant with the
    /// delegation policy, decides agents' client credentials requests with their capabilities, and writes an audit
    /// record for every issuance and refusal. Call <c>services.AddLumoAgents()</c> as well. Safe to call twice.
    /// </summary>
    /// <remarks>
    /// It accepts token-exchange requests that name no client (the seed's request, where the actor token proves
    /// the agent) and nothing else anonymous: every other grant, introspection and revocation still need an identified
    /// client (the pack does not turn on <c>AcceptAnonymousClients</c>). Set <c>RequireClientAuthenticationForExchange</c>
    /// to demand client authentication on exchange too. Only access tokens are accepted as subject and actor tokens.
    /// PKCE accepts <c>S256</c> only (RFC 9700 section 2.1.1).
    /// </remarks>
    public static OpenIddictServerBuilder UseLumoAgents(this OpenIddictServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.AllowClientCredentialsFlow()
               .AllowTokenExchangeFlow()
               .DisableAccessTokenEncryption();

        builder.Configure(options =>
        {
            options.SubjectTokenTypes.IntersectWith([LumoAgentsOpenIddictConstants.AccessTokenType]);
            options.SubjectTokenTypes.Add(LumoAgentsOpenIddictConstants.JwtTokenType);
            options.ActorTokenTypes.IntersectWith([LumoAgentsOpenIddictConstants.AccessTokenType]);

            // RFC 9700 section 2.1.1: PKCE with S256 only. "plain" puts the verifier itself in the authorization
            // request, where it leaks with the URL; neither accepted nor advertised.
            options.CodeChallengeMethods.Remove(global::OpenIddict.Abstractions.OpenIddictConstants.CodeChallengeMethods.Plain);
        });

        // OpenIddict's own scope, audience and authorized-party checks know nothing of capabilities or allowed
        // tools; for agent requests the policy makes them instead, with its own codes. Other requests keep them.
        var guarded = new HashSet<Type>(new[]
        {
            ValidateScopes.Descriptor, ValidateScopePermissions.Descriptor, ValidateAudiences.Descriptor,
            ValidateResources.Descriptor, ValidateAudiencePermissions.Descriptor, ValidateResourcePermissions.Descriptor,
            ValidateAuthorizedParty.Descriptor,
        }.Select(d => d.ServiceDescriptor.ServiceType));
        builder.Services.PostConfigure<OpenIddictServerOptions>(options =>
        {
            for (var i = 0; i < options.Handlers.Count; i++)
            {
                var handler = options.Handlers[i];
                if (guarded.Contains(handler.ServiceDescriptor.ServiceType) && !handler.FilterTypes.Contains(typeof(SkipForAgentRequests)))
                {
                    options.Handlers[i] = OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ValidateTokenRequestContext>()
                        .Import(handler)
                        .AddFilter<SkipForAgentRequests>()
                        .Build();
                }
                else if (handler.ServiceDescriptor.ServiceType == typeof(OpenIddictServerHandlers.ValidateClientId) &&
                         !handler.FilterTypes.Contains(typeof(RequireClientUnlessAnonymousExchange)))
                {
                    // Anonymous access is scoped to the documented request instead of AcceptAnonymousClients, which
                    // would open introspection and revocation to anyone holding a token.
                    options.Handlers[i] = OpenIddictServerHandlerDescriptor.CreateBuilder<OpenIddictServerEvents.ProcessAuthenticationContext>()
                        .Import(handler)
                        .AddFilter<RequireClientUnlessAnonymousExchange>()
                        .Build();
                }
            }
        });

        foreach (var descriptor in new[] { ValidateAgentTokenRequest.Descriptor, ValidateAuthorizationRequestParameters.Descriptor, AttachGrantedScope.Descriptor, ValidateWorkloadToken.Descriptor, IssueAgentToken.Descriptor, AuditTokenResponse.Descriptor, ApplyBudgetRefusal.Descriptor, IntrospectAgentToken.Descriptor, SkipAgentAccessTokenEntry.Descriptor })
        {
            if (!builder.Services.Any(d => d.ServiceType == descriptor.ServiceDescriptor.ServiceType))
            {
                builder.AddEventHandler(descriptor);
            }
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, AuditRetentionService>());
        builder.Services.TryAddScoped<SkipForAgentRequests>();
        // OAuth errors, never the host's error page, for whatever escapes a protocol endpoint.
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolEndpointPaths>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Transient<Microsoft.AspNetCore.Hosting.IStartupFilter, LumoAuth.Agents.OpenIddict.Endpoints.ProtocolErrorBoundaryStartupFilter>());
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolErrorBoundary>();
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler, LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>(
            static provider => provider.GetRequiredService<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IDeveloperPageExceptionFilter, LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>(
            static provider => provider.GetRequiredService<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolExceptionHandler>()));
        builder.Services.TryAddSingleton<RequireClientUnlessAnonymousExchange>();
        builder.Services.TryAddScoped<IAgentClientRegistrar, OpenIddictAgentClientRegistrar>();
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.AAuth.AAuthTokenService>();

        // Agents authenticate on every token request: remember verified client secrets briefly instead of re-running
        // OpenIddict's PBKDF2 check each time (see VerifiedSecretCache).
        builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Clients.VerifiedSecretCache>();
        builder.Services.Replace(ServiceDescriptor.Scoped(typeof(global::OpenIddict.Core.OpenIddictApplicationManager<>), typeof(LumoAuth.Agents.OpenIddict.Clients.CachingApplicationManager<>)));
        // Every token request looks up its client: keep applications across requests like agents (RegistryCacheDuration).
        builder.Services.TryAddSingleton(typeof(LumoAuth.Agents.OpenIddict.Clients.SharedApplicationSnapshots<>));
        builder.Services.Replace(ServiceDescriptor.Scoped(typeof(global::OpenIddict.Abstractions.IOpenIddictApplicationCache<>), typeof(LumoAuth.Agents.OpenIddict.Clients.SharedApplicationCache<>)));
        builder.Services.TryAddScoped<LumoAuth.Agents.OpenIddict.AAuth.AAuthTokenEndpoint>();
        builder.Services.TryAddScoped<LumoAuth.Agents.AspNetCore.AAuth.AAuthSignatureVerifier>();
        // The policies of the admin, audit and usage APIs (agents:admin, agents:usage).
        builder.Services.AddLumoAgentsApiPolicies();
        return builder;
    }
}
