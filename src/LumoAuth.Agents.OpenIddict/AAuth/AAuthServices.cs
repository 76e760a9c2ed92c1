using LumoAuth.Agents.OpenIddict.AAuth.Requests;
using LumoAuth.Agents.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>The services of the AAuth token endpoint: the reader, one handler per <c>request_type</c>, the minter.</summary>
internal static class AAuthServices
{
    public static void Add(IServiceCollection services)
    {
        services.TryAddSingleton<AAuthTokenService>();
        services.TryAddScoped<AAuthSignatureVerifier>();
        services.TryAddScoped<AAuthRequestReader>();
        services.TryAddScoped<AAuthTokenMinter>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAAuthRequestHandler, AgentRequestHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAAuthRequestHandler, AuthRequestHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAAuthRequestHandler, RefreshRequestHandler>());
        services.TryAddEnumerable(ServiceDescriptor.Scoped<IAAuthRequestHandler, ExchangeRequestHandler>());
        services.TryAddScoped<AAuthTokenEndpoint>();
    }
}
