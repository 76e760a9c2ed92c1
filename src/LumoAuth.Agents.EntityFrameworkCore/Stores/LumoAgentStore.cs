using LumoAuth.Agents.EntityFrameworkCore.Models;
using LumoAuth.Agents.Scopes;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>The EF Core <see cref="IAgentStore"/> over the host's <typeparamref name="TContext"/>.</summary>
public sealed class LumoAgentStore<TContext> : IAgentStore where TContext : DbContext
{
    private readonly TContext _context;
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    public LumoAgentStore(TContext context, TimeProvider? time = null)
    {
        _context = context;
        _time = time ?? TimeProvider.System;
    }

    private DbSet<LumoAgentEntity> Agents => _context.Set<LumoAgentEntity>();

    /// <inheritdoc />
    public async ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var entity = await Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, cancellationToken);
        return entity is null ? null : ToProfile(entity);
    }

    /// <inheritdoc />
    public async ValueTask CreateAsync(AgentProfile agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var entity = new LumoAgentEntity { Id = agent.Id };
        Apply(agent, entity);
        Agents.Add(entity);
        try
        {
            await _context.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception)
        {
            _context.Entry(entity).State = EntityState.Detached;
            throw new InvalidOperationException($"The agent '{agent.Id}' could not be stored; the id may already be taken.", exception);
        }
        finally
        {
            _context.Entry(entity).State = EntityState.Detached;
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion, CancellationToken cancellationToken)
    {
        // A revoked agent stays revoked whatever the caller read before: the condition is part of the update.
        // A stop records its instant in the same update: tokens issued until then stay dead after a resume.
        var (revoked, target) = ((int)AgentStatus.Revoked, (int)status);
        var matching = Agents.Where(a => a.Id == id && (expectedVersion == null || a.ConcurrencyStamp == expectedVersion) &&
                                         (a.Status != revoked || target == revoked));
        var stamp = Guid.NewGuid().ToString("N");
        var changed = status == AgentStatus.Active
            ? await matching.ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, target).SetProperty(a => a.ConcurrencyStamp, stamp), cancellationToken)
            : await matching.ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, target).SetProperty(a => a.ConcurrencyStamp, stamp)
                .SetProperty(a => a.TokensNotBefore, _time.GetUtcNow().UtcDateTime), cancellationToken);
        if (changed == 1 && status == AgentStatus.Active)
        {
            // A stop undone within its own second: the limit moves back to the previous second (TokenLiveness).
            var now = _time.GetUtcNow();
            var secondStart = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()).UtcDateTime;
            var previous = Delegation.TokenLiveness.NotBeforeOnRestart(secondStart, now)!.Value.UtcDateTime;
            await Agents.Where(a => a.Id == id && a.TokensNotBefore >= secondStart)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.TokensNotBefore, previous), cancellationToken);
        }

        return changed == 1;
    }

    /// <inheritdoc />
    public async ValueTask<bool> UpdateAsync(AgentProfile agent, string expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var entity = new LumoAgentEntity { Id = agent.Id };
        Apply(agent, entity);
        var changed = await Agents.Where(a => a.Id == agent.Id && a.ConcurrencyStamp == expectedVersion).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.DisplayName, entity.DisplayName)
            .SetProperty(a => a.Owner, entity.Owner)
            .SetProperty(a => a.Capabilities, entity.Capabilities)
            .SetProperty(a => a.DefaultScopes, entity.DefaultScopes)
            .SetProperty(a => a.AllowedTools, entity.AllowedTools)
            .SetProperty(a => a.CanActForUsers, entity.CanActForUsers)
            .SetProperty(a => a.MaxChainDepth, entity.MaxChainDepth)
            .SetProperty(a => a.AccessTokenLifetimeSeconds, entity.AccessTokenLifetimeSeconds)
            .SetProperty(a => a.RequireSenderConstrainedTokens, entity.RequireSenderConstrainedTokens)
            .SetProperty(a => a.ApprovalRules, entity.ApprovalRules)
            .SetProperty(a => a.BackchannelNotificationEndpoint, entity.BackchannelNotificationEndpoint)
            .SetProperty(a => a.MaxTokensPerDay, entity.MaxTokensPerDay)
            .SetProperty(a => a.MaxApiCallsPerHour, entity.MaxApiCallsPerHour)
            .SetProperty(a => a.MaxCostPerMonth, entity.MaxCostPerMonth)
            .SetProperty(a => a.SigningKeys, entity.SigningKeys)
            .SetProperty(a => a.ConcurrencyStamp, Guid.NewGuid().ToString("N")), cancellationToken);
        return changed == 1;
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await Agents.Where(a => a.Id == id).ExecuteDeleteAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AgentProfile>> ListAsync(AgentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var agents = Agents.AsNoTracking();
        if (query.Status is { } status)
        {
            agents = agents.Where(a => a.Status == (int)status);
        }

        if (query.Owner is { } owner)
        {
            agents = agents.Where(a => a.Owner == owner);
        }

        if (query.Capability is { } capability)
        {
            // Capabilities are stored space-delimited; pad both sides so 'read' never matches 'read:articles'.
            var padded = " " + capability + " ";
            agents = agents.Where(a => (" " + a.Capabilities + " ").Contains(padded));
        }

        var entities = await agents.OrderBy(a => a.Id).Skip(query.Skip).Take(query.Take).ToListAsync(cancellationToken);
        return entities.Select(ToProfile).ToList();
    }

    private static void Apply(AgentProfile agent, LumoAgentEntity entity)
    {
        entity.DisplayName = agent.DisplayName;
        entity.Owner = agent.Owner;
        entity.Status = (int)agent.Status;
        entity.Capabilities = agent.Capabilities.ToString();
        entity.DefaultScopes = agent.DefaultScopes.ToString();
        entity.AllowedTools = string.Join(' ', agent.AllowedTools.Order(StringComparer.Ordinal));
        entity.CanActForUsers = agent.Delegation.CanActForUsers;
        entity.MaxChainDepth = agent.Delegation.MaxChainDepth;
        entity.AccessTokenLifetimeSeconds = (int)agent.AccessTokenLifetime.TotalSeconds;
        entity.RequireSenderConstrainedTokens = agent.RequireSenderConstrainedTokens;
        entity.ApprovalRules = System.Text.Json.JsonSerializer.Serialize(agent.ApprovalRules.Select(r => new StoredApprovalRule(r.Capability, (int)r.ValidFor.TotalSeconds)));
        entity.BackchannelNotificationEndpoint = agent.BackchannelNotificationEndpoint?.AbsoluteUri;
        entity.MaxTokensPerDay = agent.Budget.MaxTokensPerDay;
        entity.MaxApiCallsPerHour = agent.Budget.MaxApiCallsPerHour;
        entity.MaxCostPerMonth = agent.Budget.MaxCostPerMonth;
        entity.SigningKeys = System.Text.Json.JsonSerializer.Serialize(agent.SigningKeys);
        entity.CreatedAt = agent.CreatedAt.UtcDateTime;
    }

    private static AgentProfile ToProfile(LumoAgentEntity entity) => new()
    {
        Id = entity.Id,
        DisplayName = entity.DisplayName,
        Owner = entity.Owner,
        Status = (AgentStatus)entity.Status,
        Capabilities = ScopeSet.Parse(entity.Capabilities),
        DefaultScopes = ScopeSet.Parse(entity.DefaultScopes),
        AllowedTools = new HashSet<string>(entity.AllowedTools.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal),
        Delegation = new DelegationRules { CanActForUsers = entity.CanActForUsers, MaxChainDepth = entity.MaxChainDepth },
        AccessTokenLifetime = TimeSpan.FromSeconds(entity.AccessTokenLifetimeSeconds),
        RequireSenderConstrainedTokens = entity.RequireSenderConstrainedTokens,
        ApprovalRules = string.IsNullOrEmpty(entity.ApprovalRules)
            ? []
            : [.. (System.Text.Json.JsonSerializer.Deserialize<List<StoredApprovalRule>>(entity.ApprovalRules) ?? []).Select(r => new LumoAuth.Agents.Approvals.ApprovalRule(r.Capability, TimeSpan.FromSeconds(r.ValidForSeconds)))],
        BackchannelNotificationEndpoint = entity.BackchannelNotificationEndpoint is { } endpoint ? new Uri(endpoint, UriKind.Absolute) : null,
        Budget = new BudgetPolicy
        {
            MaxTokensPerDay = entity.MaxTokensPerDay,
            MaxApiCallsPerHour = entity.MaxApiCallsPerHour,
            MaxCostPerMonth = entity.MaxCostPerMonth,
        },
        SigningKeys = string.IsNullOrEmpty(entity.SigningKeys) ? [] : System.Text.Json.JsonSerializer.Deserialize<List<string>>(entity.SigningKeys) ?? [],
        CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(entity.CreatedAt, DateTimeKind.Utc)),
        TokensNotBefore = entity.TokensNotBefore is { } notBefore ? new DateTimeOffset(DateTime.SpecifyKind(notBefore, DateTimeKind.Utc)) : null,
        Version = entity.ConcurrencyStamp,
    };

    private sealed record StoredApprovalRule(
        [property: System.Text.Json.Serialization.JsonPropertyName("capability")] string Capability,
        [property: System.Text.Json.Serialization.JsonPropertyName("valid_for_seconds")] int ValidForSeconds);
}
