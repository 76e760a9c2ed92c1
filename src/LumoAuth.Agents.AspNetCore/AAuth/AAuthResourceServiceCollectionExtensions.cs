using LumoAuth.Agents.HttpSignatures.Verification;
using LumoAuth.Agents.Shared;
using Microsoft.Extensions.DependencyInjection.Extensions;

using LumoAuth.Agents.AspNetCore.AAuth;

// Kept in the dependency-injection namespace, beside the host's other Add* calls.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>One registration for resources that accept AAuth-signed agent requests.</summary>
public static class AAuthResourceServiceCollectionExtensions
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
}
