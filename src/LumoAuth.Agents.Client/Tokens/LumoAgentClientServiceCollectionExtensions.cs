using Microsoft.Extensions.DependencyInjection.Extensions;
using LumoAuth.Agents.Client;

// Kept in the dependency-injection namespace, beside the host's other Add* calls.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an agent's token client and its handlers.</summary>
public static class LumoAgentClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent's <see cref="AgentTokenClient"/>: client credentials (<c>ClientId</c> + <c>ClientSecret</c>)
    /// or workload login (<c>WorkloadTokenFile</c> or <c>WorkloadTokenSource</c>). Then give HTTP clients the agent's
    /// token with <see cref="AddAgentToken"/> or a user's with <see cref="AddDelegatedAgentToken"/>.
    /// </summary>
    public static LumoAgentClientBuilder AddLumoAgentsClient(this IServiceCollection services, Action<LumoAgentClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<LumoAgentClientOptions>().Configure(configure)
            .Validate(o => o.TokenEndpoint is { IsAbsoluteUri: true }, "Lumo agent client: set TokenEndpoint to the token server's absolute token endpoint.")
            .Validate(o => o.UsesWorkload != (o.ClientSecret is not null), "Lumo agent client: log in either with ClientId + ClientSecret or with a workload token (WorkloadTokenFile or WorkloadTokenSource), not both and not neither.")
            .Validate(o => o.UsesWorkload || !string.IsNullOrEmpty(o.ClientId), "Lumo agent client: client credentials need ClientId.")
            .Validate(o => o.RenewBeforeExpiry >= TimeSpan.Zero && o.RequestTimeout > TimeSpan.Zero, "Lumo agent client: RenewBeforeExpiry must not be negative and RequestTimeout must be positive.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(AgentTokenClient.HttpClientName);
        services.TryAddSingleton<AgentTokenClient>();
        return new LumoAgentClientBuilder(services);
    }

    /// <summary>Every request of this client carries the agent's own token for <paramref name="scope"/> and <paramref name="audience"/>.</summary>
    public static IHttpClientBuilder AddAgentToken(this IHttpClientBuilder builder, string? scope = null, string? audience = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHttpMessageHandler(provider => new AgentTokenHandler(provider.GetRequiredService<AgentTokenClient>(), scope, audience));
    }

    /// <summary>Every request of this client acts for the user it names (<c>request.ForUser(token)</c>).</summary>
    public static IHttpClientBuilder AddDelegatedAgentToken(this IHttpClientBuilder builder, string? scope = null, string? audience = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddHttpMessageHandler(provider => new DelegatedTokenHandler(provider.GetRequiredService<AgentTokenClient>(), scope, audience));
    }
}
