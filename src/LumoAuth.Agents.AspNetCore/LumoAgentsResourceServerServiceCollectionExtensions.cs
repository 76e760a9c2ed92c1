using LumoAuth.Agents;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.AspNetCore.Keys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using LumoAuth.Agents.AspNetCore;

// Kept in the dependency-injection namespace, beside the host's other Add* calls.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>One registration for APIs that take the token server's access tokens.</summary>
public static class LumoAgentsResourceServerExtensions
{
    /// <summary>
    /// Validates the token server's access tokens the strict way (<see cref="LumoAgentsBearerHandler"/>) as the default
    /// authentication scheme, and registers the agent requirements (<c>RequireAgentCapabilities</c>,
    /// <c>RequireActingForUser</c>, <c>RequireMaxChainDepth</c>, <c>AllowActors</c>, <c>ForbidActors</c>,
    /// <c>RequireAllowedToolHop</c>, <see cref="RequireAgentAttribute"/>) with RFC 6750 refusals.
    /// </summary>
    public static LumoAgentsResourceServerBuilder AddLumoAgentsResourceServer(this IServiceCollection services, Action<LumoAgentsBearerOptions> configure,
        string scheme = LumoAgentsBearerDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddAuthentication(scheme).AddScheme<LumoAgentsBearerOptions, LumoAgentsBearerHandler>(scheme, configure);
        services.AddOptions<LumoAgentsBearerOptions>(scheme).Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();
        services.AddAuthorization();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BearerSigningKeys>();
        // DPoP proofs' jti values: one process unless the host registers a shared store (AddLumoAgents' EF Core one).
        services.TryAddSingleton<LumoAuth.Agents.HttpSignatures.Verification.ISignatureNonceStore, LumoAuth.Agents.HttpSignatures.Verification.InMemorySignatureNonceStore>();
        services.TryAddScoped(static provider => new LumoAuth.Agents.Dpop.DpopProofValidator(
            provider.GetRequiredService<LumoAuth.Agents.HttpSignatures.Verification.ISignatureNonceStore>(), provider.GetRequiredService<TimeProvider>()));
        services.AddHttpClient(LumoAgentsBearerDefaults.HttpClientName, TokenServerMetadata.Bound);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, AgentCallerAuthorizationHandler>());
        services.RemoveAll<IAuthorizationMiddlewareResultHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AgentAuthorizationResultHandler>();
        services.TryAddScoped<IAgentToolDirectory>(provider => new RegistryAgentToolDirectory(provider.GetService<IAgentStore>() ?? throw new InvalidOperationException(
            "RequireAllowedToolHop needs the agents' allowed tools: register AddLumoAgents() with the token server's store, or call UseAgentTools(...) on the resource-server builder.")));
        return new LumoAgentsResourceServerBuilder(services);
    }
}
