using LumoAuth.Agents.Client.AAuth;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.Client;

/// <summary>What <see cref="LumoAgentClientServiceCollectionExtensions.AddLumoAgentsClient"/> returns, to add AAuth signing.</summary>
public sealed class LumoAgentClientBuilder
{
    internal LumoAgentClientBuilder(IServiceCollection services) => Services = services;

    /// <summary>The services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds AAuth: requests signed with the agent's own key (see <see cref="AAuthSigningHandler"/>).</summary>
    public LumoAgentClientBuilder AddAAuth(Action<AAuthClientOptions> configure)
    {
        Services.AddLumoAgentsAAuthClient(configure);
        return this;
    }
}
