using LumoAuth.Agents.Configuration;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Audit;

/// <summary>Removes audit records older than <see cref="LumoAgentsOptions.AuditRetention"/>; run periodically by the host integration.</summary>
public class AuditRetention
{
    private readonly IAuditStore _store;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the job.</summary>
    public AuditRetention(IAuditStore store, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
    {
        _store = store;
        _options = options;
        _time = time;
    }

    /// <summary>Removes what has expired; returns how many records, zero when retention is unset.</summary>
    public virtual async ValueTask<int> PurgeAsync(CancellationToken cancellationToken) =>
        _options.CurrentValue.AuditRetention is { } retention
            ? await _store.DeleteBeforeAsync(_time.GetUtcNow() - retention, cancellationToken)
            : 0;
}
