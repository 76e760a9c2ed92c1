using LumoAuth.Agents.Consent;
using LumoAuth.Agents.EntityFrameworkCore.Models;
using LumoAuth.Agents.Scopes;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>The EF Core <see cref="IConsentStore"/> over the host's <typeparamref name="TContext"/>.</summary>
public sealed class LumoConsentStore<TContext> : IConsentStore where TContext : DbContext
{
    private readonly TContext _context;

    /// <summary>Creates the store.</summary>
    public LumoConsentStore(TContext context) => _context = context;

    private DbSet<LumoConsentEntity> Consents => _context.Set<LumoConsentEntity>();

    /// <inheritdoc />
    public async ValueTask<ConsentGrant> GrantAsync(string subject, string agentId, ScopeSet scopes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var entity = await Consents.FirstOrDefaultAsync(c => c.Subject == subject && c.AgentId == agentId, cancellationToken);
        if (entity is null)
        {
            entity = new LumoConsentEntity { Subject = subject, AgentId = agentId, Scopes = scopes.ToString() };
            Consents.Add(entity);
        }
        else
        {
            entity.Scopes = entity.WithdrawnAt is null ? ScopeSet.Parse(entity.Scopes).Union(scopes).ToString() : scopes.ToString();
        }

        entity.GrantedAt = now.UtcDateTime;
        entity.WithdrawnAt = null;
        if (entity.TokensNotBefore is { } notBefore)
        {
            entity.TokensNotBefore = Delegation.TokenLiveness.NotBeforeOnRestart(new DateTimeOffset(DateTime.SpecifyKind(notBefore, DateTimeKind.Utc)), now)!.Value.UtcDateTime;
        }
        await _context.SaveChangesAsync(cancellationToken);
        _context.Entry(entity).State = EntityState.Detached;
        return ToGrant(entity);
    }

    /// <inheritdoc />
    public async ValueTask<ConsentGrant?> FindActiveAsync(string subject, string agentId, CancellationToken cancellationToken)
    {
        var entity = await Consents.AsNoTracking()
            .FirstOrDefaultAsync(c => c.Subject == subject && c.AgentId == agentId && c.WithdrawnAt == null, cancellationToken);
        return entity is null ? null : ToGrant(entity);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentGrant>> ListAsync(string subject, CancellationToken cancellationToken)
    {
        var entities = await Consents.AsNoTracking().Where(c => c.Subject == subject).OrderBy(c => c.AgentId).ToListAsync(cancellationToken);
        return entities.Select(ToGrant).ToList();
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ConsentGrant>> ListByAgentAsync(string agentId, int skip, int take, CancellationToken cancellationToken)
    {
        var entities = await Consents.AsNoTracking().Where(c => c.AgentId == agentId).OrderBy(c => c.Subject).Skip(skip).Take(take).ToListAsync(cancellationToken);
        return entities.Select(ToGrant).ToList();
    }

    /// <inheritdoc />
    public async ValueTask<bool> WithdrawAsync(string subject, string agentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var withdrawnAt = now.UtcDateTime;
        var changed = await Consents
            .Where(c => c.Subject == subject && c.AgentId == agentId && c.WithdrawnAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.WithdrawnAt, withdrawnAt).SetProperty(c => c.TokensNotBefore, withdrawnAt), cancellationToken);
        return changed == 1;
    }

    private static ConsentGrant ToGrant(LumoConsentEntity entity) => new()
    {
        Subject = entity.Subject,
        AgentId = entity.AgentId,
        Scopes = ScopeSet.Parse(entity.Scopes),
        GrantedAt = new DateTimeOffset(DateTime.SpecifyKind(entity.GrantedAt, DateTimeKind.Utc)),
        WithdrawnAt = entity.WithdrawnAt is { } withdrawn ? new DateTimeOffset(DateTime.SpecifyKind(withdrawn, DateTimeKind.Utc)) : null,
        TokensNotBefore = entity.TokensNotBefore is { } notBefore ? new DateTimeOffset(DateTime.SpecifyKind(notBefore, DateTimeKind.Utc)) : null,
    };
}
