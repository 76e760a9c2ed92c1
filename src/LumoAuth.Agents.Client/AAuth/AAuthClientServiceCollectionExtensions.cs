using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using LumoAuth.Agents.Client.AAuth;

// Kept in the dependency-injection namespace, beside the host's other Add* calls.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers AAuth signing for an agent's HTTP clients.</summary>
public static class AAuthClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent's AAuth identity. Add <see cref="AAuthSigningHandler"/> to the clients that call AAuth
    /// resources: <c>services.AddHttpClient("tools").AddHttpMessageHandler&lt;AAuthSigningHandler&gt;()</c>.
    /// </summary>
    public static IServiceCollection AddLumoAgentsAAuthClient(this IServiceCollection services, Action<AAuthClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AAuthClientOptions>().Configure(configure)
            .Validate(o => o.TokenEndpoint is { IsAbsoluteUri: true } && o.SigningKey is { CanSign: true } && o.AgentId.Length > 0,
                "AAuth client: set TokenEndpoint, AgentId and a private SigningKey.");
        services.TryAddSingleton(TimeProvider.System);
        // The client is a singleton (it holds the token cache), so its connections are recycled by lifetime instead
        // of by rotating handlers, which a long-held HttpClient would never see.
        services.AddHttpClient(AAuthClient.HttpClientName)
            .UseSocketsHttpHandler((handler, _) => handler.PooledConnectionLifetime = TimeSpan.FromMinutes(2))
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.TryAddSingleton(provider => new AAuthClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient(AAuthClient.HttpClientName),
            provider.GetRequiredService<IOptionsMonitor<AAuthClientOptions>>(), provider.GetRequiredService<TimeProvider>()));
        services.TryAddTransient<AAuthSigningHandler>();
        return services;
    }
}
