namespace LumoAuth.Agents.Budgets;

/// <summary>The outcome of one consumption.</summary>
/// <param name="Accepted">True when the amount was counted (or had been, under the same idempotency key).</param>
/// <param name="Used">The usage of the window after the call.</param>
/// <param name="Duplicate">True when the idempotency key had been counted before; nothing was added.</param>
/// <param name="KeyReused">True when the key had been counted before for another metric or amount: a reporter bug, refused.</param>
public readonly record struct BudgetConsumption(bool Accepted, long Used, bool Duplicate, bool KeyReused = false);

/// <summary>
/// Agents' usage counters. Every consumption is one atomic, conditional operation in the shared store (never
/// read-then-write, never process memory), so N server instances over one database never let an agent pass its
/// limit. Implementations throw when the store cannot answer: issuance then fails closed.
/// </summary>
public interface IBudgetLedger
{
    /// <summary>
    /// Adds <paramref name="amount"/> to the agent's usage of <paramref name="metric"/> in the window containing
    /// <paramref name="now"/>, only if the result stays within <paramref name="limit"/> (no overflow, whatever the
    /// amounts). With an <paramref name="idempotencyKey"/> (scope it per reporter), a repeated call counts once, and the
    /// same key sent for another metric or amount is refused as reused.
    /// </summary>
    ValueTask<BudgetConsumption> ConsumeAsync(string agentId, BudgetMetric metric, long amount, long limit, DateTimeOffset now, string? idempotencyKey, CancellationToken cancellationToken);

    /// <summary>The agent's usage of <paramref name="metric"/> in the window containing <paramref name="now"/>.</summary>
    ValueTask<long> ReadAsync(string agentId, BudgetMetric metric, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// The use of several metrics in their current windows at once (one round trip where the store can). The default
    /// reads them one by one.
    /// </summary>
    async ValueTask<IReadOnlyDictionary<BudgetMetric, long>> ReadManyAsync(string agentId, IReadOnlyCollection<BudgetMetric> metrics, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var used = new Dictionary<BudgetMetric, long>();
        foreach (var metric in metrics)
        {
            used[metric] = await ReadAsync(agentId, metric, now, cancellationToken).ConfigureAwait(false);
        }

        return used;
    }
}
