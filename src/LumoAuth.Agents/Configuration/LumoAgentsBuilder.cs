using LumoAuth.Agents.Agents;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LumoAuth.Agents.Configuration;

/// <summary>Returned by <c>AddLumoAgents()</c>; the store and host packages add their own methods to it.</summary>
public sealed class LumoAgentsBuilder
{
    internal LumoAgentsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Keeps agents, consents and audit records in process memory. For tests and single-instance trials only:
    /// everything is lost on restart and nothing is shared across instances.
    /// </summary>
    public LumoAgentsBuilder UseInMemoryStores()
    {
        Services.Replace(ServiceDescriptor.Singleton<IAgentStore, InMemoryAgentStore>());
        Services.Replace(ServiceDescriptor.Singleton<IConsentStore, InMemoryConsentStore>());
        Services.Replace(ServiceDescriptor.Singleton<IAuditStore, InMemoryAuditStore>());
        return this;
    }

    /// <summary>Changes the options in code (after configuration binding).</summary>
    public LumoAgentsBuilder Configure(Action<LumoAgentsOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }
}
