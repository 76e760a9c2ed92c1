using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.EntityFrameworkCore.Models;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>
/// The EF Core <see cref="IBudgetLedger"/>. A consumption is one conditional UPDATE
/// (<c>SET Used = Used + n WHERE ... AND Used + n &lt;= limit</c>) in a transaction with its idempotency receipt, so
/// concurrent requests on any number of instances never pass the limit and a retried report counts once.
/// </summary>
public sealed class LumoBudgetLedger<TContext> : IBudgetLedger where TContext : DbContext
{
    private readonly TContext _context;

    /// <summary>Creates the ledger.</summary>
    public LumoBudgetLedger(TContext context) => _context = context;

    private DbSet<LumoBudgetCounterEntity> Counters => _context.Set<LumoBudgetCounterEntity>();

    private DbSet<LumoBudgetReceiptEntity> Receipts => _context.Set<LumoBudgetReceiptEntity>();

    /// <inheritdoc />
    public async ValueTask<BudgetConsumption> ConsumeAsync(string agentId, BudgetMetric metric, long amount, long limit, DateTimeOffset now, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var window = BudgetWindow.For(metric, now).Start.UtcDateTime;
        var metricValue = (int)metric;
        await EnsureCounterAsync(agentId, metricValue, window, cancellationToken);
        if (idempotencyKey is not null && await ReceiptAsync(agentId, idempotencyKey, metricValue, amount, metric, now, cancellationToken) is { } counted)
        {
            return counted;
        }

        await using var transaction = await _context.Database.BeginTransactionAsync(cancellationToken);
        if (idempotencyKey is not null)
        {
            var receipt = new LumoBudgetReceiptEntity { AgentId = agentId, IdempotencyKey = idempotencyKey, Metric = metricValue, Amount = amount, CountedAt = now.UtcDateTime };
            Receipts.Add(receipt);
            try
            {
                await _context.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Counted under this key by a concurrent call, if the receipt now exists; any other failure is not a
                // duplicate and must not pass as one.
                _context.Entry(receipt).State = EntityState.Detached;
                await transaction.RollbackAsync(cancellationToken);
                var concurrent = await ReceiptAsync(agentId, idempotencyKey, metricValue, amount, metric, now, cancellationToken);
                if (concurrent is null)
                {
                    throw;
                }

                return concurrent.Value;
            }
            finally
            {
                _context.Entry(receipt).State = EntityState.Detached;
            }
        }

        var changed = await Counters
            .Where(c => c.AgentId == agentId && c.Metric == metricValue && c.WindowStart == window && c.Used <= limit - amount)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Used, c => c.Used + amount), cancellationToken);
        if (changed != 1)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new BudgetConsumption(false, await ReadAsync(agentId, metric, now, cancellationToken), false);
        }

        await transaction.CommitAsync(cancellationToken);
        return new BudgetConsumption(true, await ReadAsync(agentId, metric, now, cancellationToken), false);
    }

    /// <inheritdoc />
    public async ValueTask<long> ReadAsync(string agentId, BudgetMetric metric, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var window = BudgetWindow.For(metric, now).Start.UtcDateTime;
        var metricValue = (int)metric;
        return await Counters.AsNoTracking()
            .Where(c => c.AgentId == agentId && c.Metric == metricValue && c.WindowStart == window)
            .Select(c => (long?)c.Used)
            .FirstOrDefaultAsync(cancellationToken) ?? 0;
    }

    // Read before every token is issued: compiled once per model (one per database provider the context is used with),
    // so EF Core does not rebuild and look up the query each time.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Microsoft.EntityFrameworkCore.Metadata.IModel,
        Func<TContext, string, int, DateTime, int, DateTime, int, DateTime, IAsyncEnumerable<WindowUse>>> ReadWindowsByModel = [];

    private static Func<TContext, string, int, DateTime, int, DateTime, int, DateTime, IAsyncEnumerable<WindowUse>> ReadWindows(TContext context) =>
        ReadWindowsByModel.GetValue(context.Model, static _ => EF.CompileAsyncQuery(
            (TContext context, string agentId, int tokensMetric, DateTime tokens, int callsMetric, DateTime calls, int costMetric, DateTime cost) =>
                context.Set<LumoBudgetCounterEntity>().AsNoTracking()
                    .Where(c => c.AgentId == agentId && ((c.Metric == tokensMetric && c.WindowStart == tokens) || (c.Metric == callsMetric && c.WindowStart == calls) || (c.Metric == costMetric && c.WindowStart == cost)))
                    .Select(c => new WindowUse { Metric = c.Metric, Used = c.Used })));

    /// <inheritdoc />
    public async ValueTask<IReadOnlyDictionary<BudgetMetric, long>> ReadManyAsync(string agentId, IReadOnlyCollection<BudgetMetric> metrics, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metrics);

        // One query of fixed shape for every metric's current window (unasked metrics get a window no row has).
        DateTime Window(BudgetMetric metric) => metrics.Contains(metric) ? BudgetWindow.For(metric, now).Start.UtcDateTime : DateTime.MinValue;
        var (tokens, calls, cost) = (Window(BudgetMetric.LlmTokensPerDay), Window(BudgetMetric.ApiCallsPerHour), Window(BudgetMetric.CostPerMonth));
        var (tokensMetric, callsMetric, costMetric) = ((int)BudgetMetric.LlmTokensPerDay, (int)BudgetMetric.ApiCallsPerHour, (int)BudgetMetric.CostPerMonth);
        var rows = new List<WindowUse>(3);
        await foreach (var row in ReadWindows(_context)(_context, agentId, tokensMetric, tokens, callsMetric, calls, costMetric, cost).WithCancellation(cancellationToken))
        {
            rows.Add(row);
        }

        return metrics.ToDictionary(m => m, m => rows.Where(r => r.Metric == (int)m).Select(r => r.Used).FirstOrDefault());
    }

    private async ValueTask<BudgetConsumption?> ReceiptAsync(string agentId, string key, int metricValue, long amount, BudgetMetric metric, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var receipt = await Receipts.AsNoTracking().FirstOrDefaultAsync(r => r.AgentId == agentId && r.IdempotencyKey == key, cancellationToken);
        if (receipt is null)
        {
            return null;
        }

        var reused = receipt.Metric != metricValue || receipt.Amount != amount;
        return new BudgetConsumption(!reused, await ReadAsync(agentId, metric, now, cancellationToken), true, reused);
    }

    private async Task EnsureCounterAsync(string agentId, int metric, DateTime window, CancellationToken cancellationToken)
    {
        if (await Counters.AsNoTracking().AnyAsync(c => c.AgentId == agentId && c.Metric == metric && c.WindowStart == window, cancellationToken))
        {
            return;
        }

        var counter = new LumoBudgetCounterEntity { AgentId = agentId, Metric = metric, WindowStart = window };
        Counters.Add(counter);
        try
        {
            await _context.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another instance created the row first; that is all that was needed.
        }
        finally
        {
            _context.Entry(counter).State = EntityState.Detached;
        }
    }

    private sealed class WindowUse
    {
        public int Metric { get; init; }

        public long Used { get; init; }
    }
}
