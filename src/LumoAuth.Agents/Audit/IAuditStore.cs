namespace LumoAuth.Agents.Audit;

/// <summary>
/// The durable audit trail. <see cref="WriteAsync"/> must throw when the record cannot be stored: the
/// request then fails rather than going unrecorded.
/// </summary>
public interface IAuditStore
{
    /// <summary>Stores a record durably.</summary>
    ValueTask WriteAsync(AuditRecord record, CancellationToken cancellationToken);

    /// <summary>
    /// Writes several records durably before returning, in one commit where the store can (group commit). The
    /// default writes them one by one.
    /// </summary>
    async ValueTask WriteManyAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            await WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the records that occurred before <paramref name="cutoff"/>; returns how many.</summary>
    ValueTask<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>Records matching <paramref name="query"/>, newest first.</summary>
    ValueTask<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken);
}

/// <summary>A filter over the audit trail; unset fields do not filter.</summary>
public sealed record AuditQuery
{
    /// <summary>Only records for this agent.</summary>
    public string? AgentId { get; init; }

    /// <summary>Only records for this subject.</summary>
    public string? Subject { get; init; }

    /// <summary>Only records with this outcome.</summary>
    public AuditOutcome? Outcome { get; init; }

    /// <summary>Only records with this reason code.</summary>
    public string? ReasonCode { get; init; }

    /// <summary>Only records whose actor chain names this subject anywhere (<c>agent:search-tool</c>).</summary>
    public string? Actor { get; init; }

    /// <summary>Only records at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only records before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>How many to skip (newest first).</summary>
    public int Skip { get; init; }

    /// <summary>How many to return at most (default 100).</summary>
    public int Take { get; init; } = 100;

    /// <summary>The text an actor's subject has inside a stored chain, for matching by actor.</summary>
    public static string ActorNeedle(string subject) => "\"sub\":" + System.Text.Json.JsonSerializer.Serialize(subject);
}
