using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Budgets;

/// <summary>
/// Refuses a token to an agent whose budget is spent in any window (as itself, by workload login, or as an actor),
/// with the time the earliest exhausted window resets.
/// </summary>
public class BudgetGate
{
    private readonly IBudgetLedger _ledger;
    private readonly TimeProvider _time;

    /// <summary>Creates the gate.</summary>
    public BudgetGate(IBudgetLedger ledger, TimeProvider time)
    {
        _ledger = ledger;
        _time = time;
    }

    /// <summary>The refusal and its reset time when <paramref name="agent"/> has spent a budget, else <see langword="null"/>.</summary>
    public virtual async ValueTask<(AgentError Error, DateTimeOffset ResetAt)?> CheckAsync(AgentProfile agent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var now = _time.GetUtcNow();
        var limits = Limits(agent.Budget).ToList();
        if (limits.Count == 0)
        {
            return null;
        }

        var used = await _ledger.ReadManyAsync(agent.Id, [.. limits.Select(l => l.Metric)], now, cancellationToken);
        foreach (var (metric, limit) in limits)
        {
            if (used.GetValueOrDefault(metric) >= limit)
            {
                var reset = BudgetWindow.For(metric, now).Reset;
                return (new AgentError(AgentErrorCodes.BudgetExhausted, OAuthErrors.TemporarilyUnavailable,
                    $"Agent '{agent.Id}' has spent its {Describe(metric)} budget ({limit}); it resets at {reset:yyyy-MM-ddTHH:mm:ssZ}."), reset);
            }
        }

        return null;
    }

    /// <summary>The limits of a policy, as metric and whole-unit limit (cost in ten-thousandths).</summary>
    public static IEnumerable<(BudgetMetric Metric, long Limit)> Limits(BudgetPolicy budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.MaxTokensPerDay is { } tokens)
        {
            yield return (BudgetMetric.LlmTokensPerDay, tokens);
        }

        if (budget.MaxApiCallsPerHour is { } calls)
        {
            yield return (BudgetMetric.ApiCallsPerHour, calls);
        }

        if (budget.MaxCostPerMonth is { } cost)
        {
            yield return (BudgetMetric.CostPerMonth, (long)Math.Floor(cost * 10_000m));
        }
    }

    internal static string Describe(BudgetMetric metric) => metric switch
    {
        BudgetMetric.LlmTokensPerDay => "LLM tokens per day",
        BudgetMetric.ApiCallsPerHour => "API calls per hour",
        _ => "cost per month",
    };
}
