using LumoAuth.Agents.Agents;
using LumoAuth.Agents.OpenIddict;
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
    /// the agent); every other grant still needs a client. Set <c>RequireClientAuthenticationForExchange</c> to
    /// demand client authentication on exchange too. Only access tokens are accepted as subject and actor tokens.
    /// </remarks>
    public static OpenIddictServerBuilder UseLumoAgents(this OpenIddictServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.AllowClientCredentialsFlow()
               .AllowTokenExchangeFlow()
               .AcceptAnonymousClients()
               .DisableAccessTokenEncryption();

        builder.Configure(options =>
        {
            options.SubjectTokenTypes.IntersectWith([LumoAgentsOpenIddictConstants.AccessTokenType]);
            options.SubjectTokenTypes.Add(LumoAgentsOpenIddictConstants.JwtTokenType);
            options.ActorTokenTypes.IntersectWith([LumoAgentsOpenIddictConstants.AccessTokenType]);
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
            }
        });

        foreach (var descriptor in new[] { ValidateAgentTokenRequest.Descriptor, ValidateWorkloadToken.Descriptor, IssueAgentToken.Descriptor, AuditTokenResponse.Descriptor, ApplyBudgetRefusal.Descriptor, IntrospectAgentToken.Descriptor, SkipAgentAccessTokenEntry.Descriptor })
        {
            if (!builder.Services.Any(d => d.ServiceType == descriptor.ServiceDescriptor.ServiceType))
            {
                builder.AddEventHandler(descriptor);
            }
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, AuditRetentionService>());
        builder.Services.TryAddScoped<SkipForAgentRequests>();
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
        return builder;
    }
}
