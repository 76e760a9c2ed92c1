using System.Text.Json;
using LumoAuth.Agents.EntityFrameworkCore.Models;
using LumoAuth.Agents.Workload;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>The EF Core <see cref="IWorkloadBindingStore"/> over the host's <typeparamref name="TContext"/>.</summary>
public sealed class LumoWorkloadBindingStore<TContext> : IWorkloadBindingStore where TContext : DbContext
{
    private readonly TContext _context;

    /// <summary>Creates the store.</summary>
    public LumoWorkloadBindingStore(TContext context) => _context = context;

    private DbSet<LumoWorkloadBindingEntity> Bindings => _context.Set<LumoWorkloadBindingEntity>();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WorkloadBinding>> FindAsync(string issuer, string subject, CancellationToken cancellationToken) =>
        (await Bindings.AsNoTracking().Where(b => b.Issuer == issuer && b.Subject == subject).ToListAsync(cancellationToken)).Select(ToBinding).ToList();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WorkloadBinding>> ListAsync(string agentId, CancellationToken cancellationToken) =>
        (await Bindings.AsNoTracking().Where(b => b.AgentId == agentId).OrderBy(b => b.Issuer).ThenBy(b => b.Subject).ToListAsync(cancellationToken)).Select(ToBinding).ToList();

    /// <inheritdoc />
    public async ValueTask ReplaceAsync(string agentId, IReadOnlyList<WorkloadBinding> bindings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        await using var transaction = await _context.Database.BeginTransactionAsync(cancellationToken);
        await Bindings.Where(b => b.AgentId == agentId).ExecuteDeleteAsync(cancellationToken);
        var entities = bindings.Select(b => new LumoWorkloadBindingEntity
        {
            Id = Guid.NewGuid(),
            AgentId = agentId,
            Issuer = b.Issuer,
            Subject = b.Subject,
            Claims = JsonSerializer.Serialize(b.Claims),
        }).ToList();
        Bindings.AddRange(entities);
        await _context.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        foreach (var entity in entities)
        {
            _context.Entry(entity).State = EntityState.Detached;
        }
    }

    private static WorkloadBinding ToBinding(LumoWorkloadBindingEntity entity) => new()
    {
        AgentId = entity.AgentId,
        Issuer = entity.Issuer,
        Subject = entity.Subject,
        Claims = JsonSerializer.Deserialize<Dictionary<string, string>>(entity.Claims) ?? new Dictionary<string, string>(),
    };
}
