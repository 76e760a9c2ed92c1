using FluentValidation;
using LumoAuth.Agents;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// Kept in the DI namespace so AddLumoAgents() is found without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one entry point of the core package.</summary>
public static class LumoAgentsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the agent registry, the client-credentials and delegation policies, and the audit trail. Safe to call
    /// more than once. Add a store (<c>UseEntityFrameworkCore&lt;TContext&gt;()</c> or <c>UseInMemoryStores()</c>) and a
    /// host (<c>services.AddOpenIddict().AddServer(o =&gt; o.UseLumoAgents())</c>). Options are validated at
    /// start-up and the host fails to start naming every bad field.
    /// </summary>
    public static LumoAgentsBuilder AddLumoAgents(this IServiceCollection services, Action<LumoAgentsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        // Bound from the host's configuration when it has one; a bare service collection keeps the defaults.
        services.AddOptions<LumoAgentsOptions>()
            .Configure<IServiceProvider>((options, provider) =>
                provider.GetService<IConfiguration>()?.GetSection(LumoAgentsOptions.SectionName).Bind(options))
            .ValidateOnStart();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LumoAgentsOptions>, LumoAgentsOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LumoAgentsOptions>, LumoAgentsStoresValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IValidator<AgentRegistration>, AgentRegistrationValidator>();
        services.TryAddSingleton(provider => new LumoAuth.Agents.Caching.RegistryCache<string, AgentProfile>(
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<IOptions<LumoAgentsOptions>>().Value.RegistryCacheDuration, StringComparer.Ordinal));
        services.TryAddSingleton(provider => new LumoAuth.Agents.Caching.RegistryCache<(string Subject, string AgentId), LumoAuth.Agents.Consent.ConsentGrant>(
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<IOptions<LumoAgentsOptions>>().Value.RegistryCacheDuration,
            keepAbsent: false)); // a consent just given must count at once on every instance; only withdrawals wait
        services.TryAddScoped<IAgentRegistry, AgentRegistry>();
        services.TryAddScoped<ClientCredentialsPolicy>();
        services.TryAddScoped<DelegationPolicy>();
        services.TryAddScoped<LumoAuth.Agents.Approvals.ApprovalPolicy>();
        services.TryAddScoped<LumoAuth.Agents.Approvals.ApprovalInbox>();
        services.TryAddSingleton<LumoAuth.Agents.Approvals.ApprovalNotifier>();
        services.TryAddSingleton<LumoAuth.Agents.Subjects.IUserDirectory, LumoAuth.Agents.Subjects.EmptyUserDirectory>();
        services.TryAddScoped<AgentUserGrantPolicy>();
        services.TryAddScoped<LumoAuth.Agents.Budgets.BudgetGate>();
        services.TryAddScoped<LumoAuth.Agents.Budgets.UsageReporter>();
        services.TryAddScoped<TokenLiveness>();

        services.AddOptions<WorkloadOptions>()
            .Configure<IServiceProvider>((options, provider) =>
                provider.GetService<IConfiguration>()?.GetSection(WorkloadOptions.SectionName).Bind(options))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkloadOptions>, WorkloadOptionsValidator>());
        services.TryAddSingleton<LumoAuth.Agents.Fetching.OutboundDocumentFetcher>();
        // Scoped: the replay store it spends jti values in may be a database one.
        services.TryAddScoped(static provider => new LumoAuth.Agents.Dpop.DpopProofValidator(
            provider.GetRequiredService<LumoAuth.Agents.HttpSignatures.Verification.ISignatureNonceStore>(), provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.TryAddSingleton(static provider => new LumoAuth.Agents.Clients.ClientMetadataDocumentResolver(
            provider.GetRequiredService<LumoAuth.Agents.Fetching.OutboundDocumentFetcher>(), provider.GetRequiredService<IOptionsMonitor<LumoAgentsOptions>>(),
            provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.TryAddSingleton<IWorkloadKeyFetcher, HttpWorkloadKeyFetcher>();
        services.TryAddSingleton<WorkloadKeyCache>();
        services.TryAddSingleton<WorkloadTokenValidator>();
        services.TryAddScoped<WorkloadBindings>();
        services.TryAddScoped<WorkloadLoginPolicy>();
        services.TryAddSingleton<AuditWriter>();
        services.TryAddScoped(provider => new AuditTrail(provider.GetRequiredService<IAuditStore>(), provider.GetRequiredService<IAgentStore>(),
            provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<AuditWriter>()));
        services.TryAddScoped<AuditRetention>();
        services.TryAddScoped<LumoAuth.Agents.Consent.ConsentRegistry>();
        services.AddOptions<LumoAuth.Agents.AAuth.AAuthOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LumoAuth.Agents.AAuth.AAuthOptions>, LumoAuth.Agents.AAuth.AAuthOptionsValidator>());
        services.TryAddScoped<LumoAuth.Agents.AAuth.AAuthPolicy>();
        return new LumoAgentsBuilder(services);
    }
}
