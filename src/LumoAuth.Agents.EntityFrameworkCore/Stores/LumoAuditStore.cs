using LumoAuth.Agents.Audit;
using LumoAuth.Agents.EntityFrameworkCore.Models;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>The EF Core <see cref="IAuditStore"/>: each record is committed before <see cref="WriteAsync"/> returns.</summary>
public sealed class LumoAuditStore<TContext> : IAuditStore where TContext : DbContext
{
    private readonly TContext _context;

    /// <summary>Creates the store.</summary>
    public LumoAuditStore(TContext context) => _context = context;

    private DbSet<LumoAuditEntity> Records => _context.Set<LumoAuditEntity>();

    /// <inheritdoc />
    public async ValueTask WriteAsync(AuditRecord record, CancellationToken cancellationToken) =>
        await WriteManyAsync([record], cancellationToken);

    /// <inheritdoc />
    public async ValueTask WriteManyAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var entities = records.Select(ToEntity).ToList();
        Records.AddRange(entities);
        try
        {
            await _context.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            foreach (var entity in entities)
            {
                _context.Entry(entity).State = EntityState.Detached;
            }
        }
    }

    private static LumoAuditEntity ToEntity(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new LumoAuditEntity
        {
            Id = record.Id,
            OccurredAt = record.OccurredAt.UtcDateTime,
            GrantType = Fit(record.GrantType, LumoAuditEntity.Lengths.GrantType) ?? string.Empty,
            Outcome = (int)record.Outcome,
            ReasonCode = Fit(record.ReasonCode, LumoAuditEntity.Lengths.ReasonCode),
            Error = Fit(record.Error, LumoAuditEntity.Lengths.Error),
            Description = record.Description,
            ClientId = Fit(record.ClientId, LumoAuditEntity.Lengths.Identifier),
            AgentId = Fit(record.AgentId, LumoAuditEntity.Lengths.Identifier),
            Subject = Fit(record.Subject, LumoAuditEntity.Lengths.Identifier),
            ActorChain = record.ActorChain,
            ChainDescription = record.ChainDescription,
            ChainDepth = record.ChainDepth,
            ScopesRequested = record.ScopesRequested,
            ScopesGranted = record.ScopesGranted,
            Audiences = record.Audiences,
            TokenId = Fit(record.TokenId, LumoAuditEntity.Lengths.TokenId),
            ClientIp = Fit(record.ClientIp, LumoAuditEntity.Lengths.ClientIp),
            WorkloadIssuer = Fit(record.WorkloadIssuer, LumoAuditEntity.Lengths.Workload),
            WorkloadSubject = Fit(record.WorkloadSubject, LumoAuditEntity.Lengths.Workload),
        };
    }

    /// <inheritdoc />
    public async ValueTask<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var cutoffUtc = cutoff.UtcDateTime;
        return await Records.Where(r => r.OccurredAt < cutoffUtc).ExecuteDeleteAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var records = Records.AsNoTracking();
        if (query.AgentId is { } agentId)
        {
            records = records.Where(r => r.AgentId == agentId);
        }

        if (query.Subject is { } subject)
        {
            records = records.Where(r => r.Subject == subject);
        }

        if (query.Outcome is { } outcome)
        {
            records = records.Where(r => r.Outcome == (int)outcome);
        }

        if (query.ReasonCode is { } reasonCode)
        {
            records = records.Where(r => r.ReasonCode == reasonCode);
        }

        if (query.From is { } from)
        {
            var fromUtc = from.UtcDateTime;
            records = records.Where(r => r.OccurredAt >= fromUtc);
        }

        if (query.To is { } to)
        {
            var toUtc = to.UtcDateTime;
            records = records.Where(r => r.OccurredAt < toUtc);
        }

        if (query.Actor is { } actor)
        {
            var needle = AuditQuery.ActorNeedle(actor);
            records = records.Where(r => r.ActorChain != null && r.ActorChain.Contains(needle));
        }

        var entities = await records.OrderByDescending(r => r.OccurredAt).ThenBy(r => r.Id).Skip(query.Skip).Take(query.Take).ToListAsync(cancellationToken);
        return entities.Select(e => new AuditRecord
        {
            Id = e.Id,
            OccurredAt = new DateTimeOffset(DateTime.SpecifyKind(e.OccurredAt, DateTimeKind.Utc)),
            GrantType = e.GrantType,
            Outcome = (AuditOutcome)e.Outcome,
            ReasonCode = e.ReasonCode,
            Error = e.Error,
            Description = e.Description,
            ClientId = e.ClientId,
            AgentId = e.AgentId,
            Subject = e.Subject,
            ActorChain = e.ActorChain,
            ChainDescription = e.ChainDescription,
            ChainDepth = e.ChainDepth,
            ScopesRequested = e.ScopesRequested,
            ScopesGranted = e.ScopesGranted,
            Audiences = e.Audiences,
            TokenId = e.TokenId,
            ClientIp = e.ClientIp,
            WorkloadIssuer = e.WorkloadIssuer,
            WorkloadSubject = e.WorkloadSubject,
        }).ToList();
    }

    // An attacker chooses client_id and grant_type; a value longer than its column must not make the write fail,
    // or the refusal would go unrecorded. The cut is marked so a reader knows the value was longer.
    private static string? Fit(string? value, int length) =>
        value is null || value.Length <= length ? value : string.Concat(value.AsSpan(0, length - 1), "\u2026");
}
