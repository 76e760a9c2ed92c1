using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Consent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Configuration;

/// <summary>
/// Fails start-up, with the call to make, when no store was chosen: without it the first token request would fail
/// with a bare dependency-injection error instead.
/// </summary>
internal sealed class LumoAgentsStoresValidator(IServiceProviderIsService services) : IValidateOptions<LumoAgentsOptions>
{
    public ValidateOptionsResult Validate(string? name, LumoAgentsOptions options)
    {
        var missing = new[] { typeof(IAgentStore), typeof(IConsentStore), typeof(IAuditStore), typeof(Workload.IWorkloadBindingStore), typeof(Budgets.IBudgetLedger), typeof(HttpSignatures.Verification.ISignatureNonceStore), typeof(Approvals.IApprovalStore) }
            .Where(type => !services.IsService(type))
            .Select(type => type.Name)
            .ToList();
        return missing.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"No store is registered for {string.Join(", ", missing)}: call AddLumoAgents().UseEntityFrameworkCore<TContext>() " +
                "(LumoAuth.Agents.EntityFrameworkCore), or UseInMemoryStores() for tests.");
    }
}
