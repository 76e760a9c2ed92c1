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
        Services.Replace(ServiceDescriptor.Singleton<Workload.IWorkloadBindingStore, InMemoryWorkloadBindingStore>());
        Services.Replace(ServiceDescriptor.Singleton<Budgets.IBudgetLedger, InMemoryBudgetLedger>());
        Services.Replace(ServiceDescriptor.Singleton<HttpSignatures.Verification.ISignatureNonceStore, HttpSignatures.Verification.InMemorySignatureNonceStore>());
        Services.Replace(ServiceDescriptor.Singleton<Approvals.IApprovalStore, InMemoryApprovalStore>());
        return this;
    }

    /// <summary>
    /// Keeps agents in the store <paramref name="store"/> makes (one per scope). Lookups by id are kept across requests
    /// for <see cref="LumoAgentsOptions.RegistryCacheDuration"/> and dropped on every change made through the store.
    /// </summary>
    public LumoAgentsBuilder UseAgentStore(Func<IServiceProvider, IAgentStore> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Services.Replace(ServiceDescriptor.Scoped<IAgentStore>(provider => new CachingAgentStore(store(provider),
            provider.GetRequiredService<Caching.RegistryCache<string, AgentProfile>>())));
        return this;
    }

    /// <summary>
    /// Keeps users' consents in the store <paramref name="store"/> makes (one per scope), read through the same
    /// short-lived cache as agents (<see cref="UseAgentStore"/>).
    /// </summary>
    public LumoAgentsBuilder UseConsentStore(Func<IServiceProvider, IConsentStore> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Services.Replace(ServiceDescriptor.Scoped<IConsentStore>(provider => new CachingConsentStore(store(provider),
            provider.GetRequiredService<Caching.RegistryCache<(string Subject, string AgentId), ConsentGrant>>())));
        return this;
    }

    /// <summary>
    /// Registers a protected resource that clients may name with <c>resource</c> (RFC 8707); its identifier becomes the
    /// token's <c>aud</c>. Agents reach it when it is one of their allowed tools.
    /// </summary>
    /// <param name="identifier">The canonical absolute URI, e.g. <c>https://mcp.example.com/mcp</c>.</param>
    /// <param name="name">A human-readable name.</param>
    /// <param name="scopes">The scopes it accepts; none: any.</param>
    public LumoAgentsBuilder AddResource(string identifier, string? name = null, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        ArgumentNullException.ThrowIfNull(scopes);
        Services.Configure<LumoAgentsOptions>(options =>
        {
            var resource = new Resources.ProtectedResource { Identifier = identifier, Name = name };
            foreach (var scope in scopes)
            {
                resource.Scopes.Add(scope);
            }

            options.Resources.Add(resource);
        });
        return this;
    }

    /// <summary>Trusts a platform issuer for workload login (seed pattern 2), in addition to any from configuration.</summary>
    public LumoAgentsBuilder AddWorkloadIssuer(Workload.WorkloadIssuer issuer, params Workload.WorkloadBinding[] bindings)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(bindings);
        Services.Configure<Workload.WorkloadOptions>(options =>
        {
            options.Issuers.Add(issuer);
            foreach (var binding in bindings)
            {
                options.Bindings.Add(binding);
            }
        });
        return this;
    }

    /// <summary>Binds a workload to an agent, for an issuer from configuration or <see cref="AddWorkloadIssuer"/>.</summary>
    public LumoAgentsBuilder AddWorkloadBinding(Workload.WorkloadBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        Services.Configure<Workload.WorkloadOptions>(options => options.Bindings.Add(binding));
        return this;
    }

    /// <summary>
    /// Accepts resource tokens from <paramref name="resource"/> for AAuth (seed pattern 4): agents that list its
    /// <see cref="LumoAuth.Agents.AAuth.AAuthResource.Id"/> among their allowed tools can get auth tokens for it.
    /// </summary>
    public LumoAgentsBuilder AddAAuthResource(LumoAuth.Agents.AAuth.AAuthResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        Services.Configure<LumoAuth.Agents.AAuth.AAuthOptions>(options => options.Resources.Add(resource));
        return this;
    }

    /// <summary>
    /// Accepts agent tokens from a trusted agent provider (another AAuth issuer) for the agents it maps to registered ones.
    /// </summary>
    public LumoAgentsBuilder AddAAuthAgentProvider(LumoAuth.Agents.AAuth.AAuthAgentProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Services.Configure<LumoAuth.Agents.AAuth.AAuthOptions>(options => options.AgentProviders.Add(provider));
        return this;
    }

    /// <summary>Changes the AAuth lifetimes and limits.</summary>
    public LumoAgentsBuilder ConfigureAAuth(Action<LumoAuth.Agents.AAuth.AAuthOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }

    /// <summary>Changes the options in code (after configuration binding).</summary>
    public LumoAgentsBuilder Configure(Action<LumoAgentsOptions> configure)
    {
        Services.Configure(configure);
        return this;
    }
}
