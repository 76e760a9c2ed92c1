namespace LumoAuth.Agents.Workload;

/// <summary>
/// Workload bindings registered per agent through the registry, beside those in configuration. Registered with the
/// other stores (<c>UseEntityFrameworkCore&lt;TContext&gt;()</c> or <c>UseInMemoryStores()</c>).
/// </summary>
public interface IWorkloadBindingStore
{
    /// <summary>The bindings for workloads of <paramref name="issuer"/> with subject <paramref name="subject"/>.</summary>
    ValueTask<IReadOnlyList<WorkloadBinding>> FindAsync(string issuer, string subject, CancellationToken cancellationToken);

    /// <summary>The bindings of one agent.</summary>
    ValueTask<IReadOnlyList<WorkloadBinding>> ListAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Stores the bindings of <paramref name="agentId"/>, replacing any it had.</summary>
    ValueTask ReplaceAsync(string agentId, IReadOnlyList<WorkloadBinding> bindings, CancellationToken cancellationToken);
}
