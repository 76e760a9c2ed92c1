using LumoAuth.Agents.Approvals;
using LumoAuth.Agents.EntityFrameworkCore.Models;
using LumoAuth.Agents.Scopes;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>
/// The EF Core <see cref="IApprovalStore"/>. Every state change is one <c>UPDATE … WHERE</c> on the state it leaves, so
/// server instances sharing the database cannot both decide, poll past the interval or redeem one request.
/// </summary>
public sealed class LumoApprovalStore<TContext> : IApprovalStore where TContext : DbContext
{
    private readonly TContext _context;

    /// <summary>Creates the store.</summary>
    public LumoApprovalStore(TContext context) => _context = context;

    private DbSet<LumoApprovalEntity> Approvals => _context.Set<LumoApprovalEntity>();

    /// <inheritdoc />
    public async ValueTask CreateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var entity = new LumoApprovalEntity
        {
            Id = request.Id,
            AgentId = request.AgentId,
            UserSubject = request.UserSubject,
            BindingMessage = request.BindingMessage,
            Scopes = request.Scopes.ToString(),
            AuthorizationDetails = request.AuthorizationDetails,
            Audiences = string.Join(' ', request.Audiences),
            DeliveryMode = (int)request.DeliveryMode,
            NotificationToken = request.NotificationToken,
            AuthRequestId = request.AuthRequestId,
            KeyThumbprint = request.KeyThumbprint,
            Status = (int)request.Status,
            CreatedAt = request.CreatedAt.UtcDateTime,
            ExpiresAt = request.ExpiresAt.UtcDateTime,
            IntervalSeconds = request.IntervalSeconds,
            NextPollAt = request.NextPollAt.UtcDateTime,
        };
        Approvals.Add(entity);
        try
        {
            await _context.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            _context.Entry(entity).State = EntityState.Detached;
        }
    }

    /// <inheritdoc />
    public async ValueTask<ApprovalRequest?> FindAsync(string id, CancellationToken cancellationToken) =>
        await Approvals.AsNoTracking().Where(a => a.Id == id).FirstOrDefaultAsync(cancellationToken) is { } entity ? ToRequest(entity) : null;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ApprovalRequest>> ListForUserAsync(string userSubject, DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        var from = since.UtcDateTime;
        var entities = await Approvals.AsNoTracking().Where(a => a.UserSubject == userSubject && a.CreatedAt >= from)
            .OrderByDescending(a => a.CreatedAt).Take(limit).ToListAsync(cancellationToken);
        return entities.Select(ToRequest).ToList();
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ApprovalRequest>> ListAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken)
    {
        var from = since.UtcDateTime;
        var entities = await Approvals.AsNoTracking().Where(a => a.CreatedAt >= from)
            .OrderByDescending(a => a.CreatedAt).Take(limit).ToListAsync(cancellationToken);
        return entities.Select(ToRequest).ToList();
    }

    /// <inheritdoc />
    public async ValueTask<int> CountPendingAsync(string agentId, string userSubject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.UtcDateTime;
        return await Approvals.CountAsync(a => a.UserSubject == userSubject && a.AgentId == agentId &&
                                               a.Status == (int)ApprovalStatus.Pending && a.ExpiresAt > at, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<bool> MarkShownAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.UtcDateTime;
        return await Approvals.Where(a => a.Id == id && a.ShownAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.ShownAt, at), cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DecideAsync(string id, string userSubject, bool approve, DateTimeOffset now, DateTimeOffset? approvalValidUntil, CancellationToken cancellationToken)
    {
        var at = now.UtcDateTime;
        var status = approve ? (int)ApprovalStatus.Approved : (int)ApprovalStatus.Denied;
        DateTime? validUntil = approve ? approvalValidUntil?.UtcDateTime : null;
        return await Approvals.Where(a => a.Id == id && a.UserSubject == userSubject && a.Status == (int)ApprovalStatus.Pending && a.ExpiresAt > at)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, status).SetProperty(a => a.DecidedAt, at).SetProperty(a => a.ApprovalValidUntil, validUntil),
                cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryPollAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.UtcDateTime;
        var current = await Approvals.AsNoTracking().Where(a => a.Id == id).Select(a => new { a.IntervalSeconds, a.NextPollAt }).FirstOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return false;
        }

        // Both writes are conditional on the poll time read, so of two racing polls only one is on time.
        if (at >= current.NextPollAt)
        {
            var next = at.AddSeconds(current.IntervalSeconds);
            if (await Approvals.Where(a => a.Id == id && a.NextPollAt == current.NextPollAt)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.NextPollAt, next), cancellationToken) == 1)
            {
                return true;
            }
        }

        var slower = current.IntervalSeconds + 5;
        var slowerNext = at.AddSeconds(slower);
        await Approvals.Where(a => a.Id == id && a.IntervalSeconds == current.IntervalSeconds)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.IntervalSeconds, slower).SetProperty(a => a.NextPollAt, slowerNext), cancellationToken);
        return false;
    }

    /// <inheritdoc />
    public async ValueTask<bool> ExpireAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.UtcDateTime;
        return await Approvals.Where(a => a.Id == id && a.Status == (int)ApprovalStatus.Pending && a.ExpiresAt <= at)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApprovalStatus.Expired), cancellationToken) == 1;
    }

    /// <inheritdoc />
    public async ValueTask<bool> RedeemAsync(string id, CancellationToken cancellationToken) =>
        await Approvals.Where(a => a.Id == id && a.Status == (int)ApprovalStatus.Approved)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, (int)ApprovalStatus.Redeemed), cancellationToken) == 1;

    /// <inheritdoc />
    public async ValueTask<ApprovalRequest?> FindLastingApprovalAsync(string userSubject, string agentId, string capability, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var at = now.UtcDateTime;
        var candidates = await Approvals.AsNoTracking()
            .Where(a => a.UserSubject == userSubject && a.AgentId == agentId && a.ApprovalValidUntil > at &&
                        (a.Status == (int)ApprovalStatus.Approved || a.Status == (int)ApprovalStatus.Redeemed))
            .OrderByDescending(a => a.ApprovalValidUntil).Take(20).ToListAsync(cancellationToken);
        return candidates.Select(ToRequest).FirstOrDefault(r => r.Scopes.Contains(capability));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static ApprovalRequest ToRequest(LumoApprovalEntity entity) => new()
    {
        Id = entity.Id,
        AgentId = entity.AgentId,
        UserSubject = entity.UserSubject,
        BindingMessage = entity.BindingMessage,
        Scopes = ScopeSet.Parse(entity.Scopes),
        AuthorizationDetails = entity.AuthorizationDetails,
        Audiences = entity.Audiences.Split(' ', StringSplitOptions.RemoveEmptyEntries),
        DeliveryMode = (ApprovalDeliveryMode)entity.DeliveryMode,
        NotificationToken = entity.NotificationToken,
        AuthRequestId = entity.AuthRequestId,
        KeyThumbprint = entity.KeyThumbprint,
        Status = (ApprovalStatus)entity.Status,
        CreatedAt = Utc(entity.CreatedAt),
        ExpiresAt = Utc(entity.ExpiresAt),
        IntervalSeconds = entity.IntervalSeconds,
        NextPollAt = Utc(entity.NextPollAt),
        ShownAt = entity.ShownAt is { } shown ? Utc(shown) : null,
        DecidedAt = entity.DecidedAt is { } decided ? Utc(decided) : null,
        ApprovalValidUntil = entity.ApprovalValidUntil is { } until ? Utc(until) : null,
    };
}
