using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.EntityFrameworkCore.Stores;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;


// Kept in the dependency-injection namespace, beside AddLumoAgents() itself.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the EF Core stores.</summary>
public static class LumoAgentsEntityFrameworkCoreExtensions
{
    /// <summary>
    /// Stores agents, consents, audit records, workload bindings, budget counters, spent signature nonces and approval requests in <typeparamref name="TContext"/>, the host's own DbContext.
    /// Its <c>OnModelCreating</c> must call <c>builder.UseLumoAgents()</c>.
    /// </summary>
    public static LumoAgentsBuilder UseEntityFrameworkCore<TContext>(this LumoAgentsBuilder builder) where TContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Agents and consents are read on every token request: reads are kept briefly across requests (RegistryCacheDuration).
        builder.UseAgentStore(provider => new LumoAgentStore<TContext>(provider.GetRequiredService<TContext>(), provider.GetService<TimeProvider>()));
        builder.UseConsentStore(provider => new LumoConsentStore<TContext>(provider.GetRequiredService<TContext>()));
        builder.Services.Replace(ServiceDescriptor.Scoped<IAuditStore, LumoAuditStore<TContext>>());
        builder.Services.Replace(ServiceDescriptor.Scoped<LumoAuth.Agents.Workload.IWorkloadBindingStore, LumoWorkloadBindingStore<TContext>>());
        builder.Services.Replace(ServiceDescriptor.Scoped<LumoAuth.Agents.Budgets.IBudgetLedger, LumoBudgetLedger<TContext>>());
        // Spent nonces (AAuth signatures, DPoP proofs) are group-committed: concurrent requests share one statement.
        builder.Services.TryAddSingleton<SignatureNonceWriter<TContext>>();
        builder.Services.Replace(ServiceDescriptor.Scoped<LumoAuth.Agents.HttpSignatures.Verification.ISignatureNonceStore>(provider => new LumoSignatureNonceStore<TContext>(
            provider.GetRequiredService<TContext>(), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<SignatureNonceWriter<TContext>>())));
        builder.Services.Replace(ServiceDescriptor.Scoped<LumoAuth.Agents.Approvals.IApprovalStore, LumoApprovalStore<TContext>>());
        return builder;
    }
}
