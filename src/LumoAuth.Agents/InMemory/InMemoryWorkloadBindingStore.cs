using System.Collections.Concurrent;
using LumoAuth.Agents.Workload;

namespace LumoAuth.Agents.InMemory;

/// <summary>An <see cref="IWorkloadBindingStore"/> in process memory, for tests and single-instance trials only.</summary>
public sealed class InMemoryWorkloadBindingStore : IWorkloadBindingStore
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<WorkloadBinding>> _byAgent = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WorkloadBinding>> FindAsync(string issuer, string subject, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<WorkloadBinding>>(_byAgent.Values.SelectMany(b => b)
            .Where(b => b.Issuer == issuer && b.Subject == subject).ToList());

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WorkloadBinding>> ListAsync(string agentId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_byAgent.TryGetValue(agentId, out var bindings) ? bindings : []);

    /// <inheritdoc />
    public ValueTask ReplaceAsync(string agentId, IReadOnlyList<WorkloadBinding> bindings, CancellationToken cancellationToken)
    {
        _byAgent[agentId] = bindings;
        return ValueTask.CompletedTask;
    }
}
