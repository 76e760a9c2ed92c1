using System.Collections.Concurrent;
using LumoAuth.Agents.Audit;

namespace LumoAuth.Agents.InMemory;

/// <summary>An <see cref="IAuditStore"/> in process memory, for tests only: an audit trail must outlive the process.</summary>
public sealed class InMemoryAuditStore : IAuditStore
{
    private readonly ConcurrentDictionary<Guid, AuditRecord> _records = new();

    /// <inheritdoc />
    public ValueTask WriteAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        _records[record.Id] = record;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var removed = 0;
        foreach (var record in _records.Values.Where(r => r.OccurredAt < cutoff))
        {
            removed += _records.TryRemove(record.Id, out _) ? 1 : 0;
        }

        return ValueTask.FromResult(removed);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var result = _records.Values
            .Where(r => query.AgentId is null || r.AgentId == query.AgentId)
            .Where(r => query.Subject is null || r.Subject == query.Subject)
            .Where(r => query.Outcome is null || r.Outcome == query.Outcome)
            .Where(r => query.ReasonCode is null || r.ReasonCode == query.ReasonCode)
            .Where(r => query.From is null || r.OccurredAt >= query.From)
            .Where(r => query.To is null || r.OccurredAt < query.To)
            .Where(r => query.Actor is null || (r.ActorChain ?? string.Empty).Contains(AuditQuery.ActorNeedle(query.Actor), StringComparison.Ordinal))
            .OrderByDescending(r => r.OccurredAt)
            .Skip(query.Skip)
            .Take(query.Take)
            .ToList();
        return ValueTask.FromResult<IReadOnlyList<AuditRecord>>(result);
    }
}
