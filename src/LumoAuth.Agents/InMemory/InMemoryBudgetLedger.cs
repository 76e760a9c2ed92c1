using System.Collections.Concurrent;
using LumoAuth.Agents.Budgets;

namespace LumoAuth.Agents.InMemory;

/// <summary>An <see cref="IBudgetLedger"/> in process memory, for tests and single-instance trials only: it does not hold across instances.</summary>
public sealed class InMemoryBudgetLedger : IBudgetLedger
{
    private readonly ConcurrentDictionary<(string, BudgetMetric, DateTimeOffset), long> _used = new();
    private readonly ConcurrentDictionary<(string, string), (BudgetMetric Metric, long Amount)> _receipts = new();
    private readonly object _gate = new();

    /// <inheritdoc />
    public ValueTask<BudgetConsumption> ConsumeAsync(string agentId, BudgetMetric metric, long amount, long limit, DateTimeOffset now, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var key = (agentId, metric, BudgetWindow.For(metric, now).Start);
        lock (_gate)
        {
            var used = _used.GetValueOrDefault(key);
            if (idempotencyKey is not null && _receipts.TryGetValue((agentId, idempotencyKey), out var receipt))
            {
                var reused = receipt.Metric != metric || receipt.Amount != amount;
                return ValueTask.FromResult(new BudgetConsumption(!reused, used, true, reused));
            }

            if (amount < 0 || used > limit - amount)
            {
                return ValueTask.FromResult(new BudgetConsumption(false, used, false));
            }

            _used[key] = used + amount;
            if (idempotencyKey is not null)
            {
                _receipts[(agentId, idempotencyKey)] = (metric, amount);
            }

            return ValueTask.FromResult(new BudgetConsumption(true, used + amount, false));
        }
    }

    /// <inheritdoc />
    public ValueTask<long> ReadAsync(string agentId, BudgetMetric metric, DateTimeOffset now, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_used.GetValueOrDefault((agentId, metric, BudgetWindow.For(metric, now).Start)));
}
