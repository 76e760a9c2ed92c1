using LumoAuth.Agents.HttpSignatures.Verification;
using LumoAuth.Agents.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LumoAuth.Agents.AspNetCore.AAuth;

/// <summary>One registration for resources that accept AAuth-signed agent requests.</summary>
public static class AAuthResourceExtensions
{
    /// <summary>
    /// Registers AAuth request verification for this resource. Nonces are remembered in memory unless an
    /// <see cref="ISignatureNonceStore"/> shared by all instances is registered (for example the EF Core one).
    /// </summary>
    public static IServiceCollection AddLumoAgentsAAuthResource(this IServiceCollection services, Action<AAuthResourceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AAuthResourceOptions>().Configure(configure).Validate(
            o => o.ResourceIdentifier is { IsAbsoluteUri: true } && (o.TokenServer is { IsAbsoluteUri: true } || o.TokenServerKeys.Count > 0) && o.ResourceTokenSigningCredentials is not null,
            "AAuth resource: set ResourceIdentifier, ResourceTokenSigningCredentials, and TokenServer (or, for a resource the token server hosts itself, TokenServerKeys).").ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISignatureNonceStore, InMemorySignatureNonceStore>();
        services.TryAddScoped<AAuthSignatureVerifier>();
        services.TryAddSingleton<TokenServerKeys>();
        services.AddHttpClient(TokenServerKeys.HttpClientName, LumoAuth.Agents.AspNetCore.Keys.TokenServerMetadata.Bound);
        return services;
    }

    /// <summary>Adds the middleware that guards endpoints marked with <see cref="RequireAAuth{TBuilder}"/>.</summary>
    public static IApplicationBuilder UseLumoAgentsAAuth(this IApplicationBuilder app) => app.UseMiddleware<AAuthResourceMiddleware>();

    /// <summary>The endpoint takes only AAuth-signed requests with an auth token carrying <paramref name="scopes"/>.</summary>
    public static TBuilder RequireAAuth<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new AAuthRequirement(scopes ?? []));
        return builder;
    }
}
