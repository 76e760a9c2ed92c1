using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Budgets;

/// <summary>A usage report from an LLM gateway or an API: how much of a metric an agent used.</summary>
/// <param name="AgentId">The agent that used it.</param>
/// <param name="Metric">What was used.</param>
/// <param name="Amount">How much (LLM tokens, calls, or cost in ten-thousandths of the currency unit).</param>
/// <param name="IdempotencyKey">The reporter's key: a report sent again under the same key counts once.</param>
/// <param name="Reporter">The client reporting; idempotency keys are scoped to it, so two reporters never collide.</param>
public sealed record UsageReport(string AgentId, BudgetMetric Metric, long Amount, string IdempotencyKey, string Reporter = "");

/// <summary>What a report did.</summary>
public sealed record UsageOutcome
{
    /// <summary>The refusal, or <see langword="null"/>.</summary>
    public AgentError? Error { get; init; }

    /// <summary>True when no such agent is registered.</summary>
    public bool AgentUnknown { get; init; }

    /// <summary>The window's usage after the report.</summary>
    public long Used { get; init; }

    /// <summary>The agent's limit for the metric, or <see langword="null"/> for none.</summary>
    public long? Limit { get; init; }

    /// <summary>True when the key had been used for a different report: refused.</summary>
    public bool KeyReused { get; init; }

    /// <summary>True when this key had been counted before and nothing was added.</summary>
    public bool Duplicate { get; init; }

    /// <summary>When the window resets.</summary>
    public DateTimeOffset ResetAt { get; init; }
}

/// <summary>
/// Counts reported usage in the ledger. LLM tokens and cost are facts once reported and are always counted (the
/// agent then gets no new token once over its limit); an API call is metered before it is made and is refused when
/// it would pass the limit.
/// </summary>
public class UsageReporter
{
    private readonly IAgentStore _agents;
    private readonly IBudgetLedger _ledger;
    private readonly TimeProvider _time;

    /// <summary>Creates the reporter.</summary>
    public UsageReporter(IAgentStore agents, IBudgetLedger ledger, TimeProvider time)
    {
        _agents = agents;
        _ledger = ledger;
        _time = time;
    }

    /// <summary>Counts <paramref name="report"/>.</summary>
    public virtual async ValueTask<UsageOutcome> ReportAsync(UsageReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var agent = await _agents.FindAsync(report.AgentId, cancellationToken);
        if (agent is null)
        {
            return new UsageOutcome
            {
                AgentUnknown = true,
                Error = new AgentError(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidRequest, $"No agent '{ErrorText.Echo(report.AgentId)}' is registered."),
            };
        }

        var now = _time.GetUtcNow();
        long? limit = BudgetGate.Limits(agent.Budget).Where(l => l.Metric == report.Metric).Select(l => (long?)l.Limit).FirstOrDefault();
        var bound = report.Metric == BudgetMetric.ApiCallsPerHour ? limit ?? long.MaxValue : long.MaxValue;
        var consumption = await _ledger.ConsumeAsync(agent.Id, report.Metric, report.Amount, bound, now, report.Reporter + "|" + report.IdempotencyKey, cancellationToken);
        if (consumption.KeyReused)
        {
            return new UsageOutcome
            {
                Used = consumption.Used,
                Limit = limit,
                KeyReused = true,
                ResetAt = BudgetWindow.For(report.Metric, now).Reset,
                Error = new AgentError(AgentErrorCodes.IdempotencyKeyReused, OAuthErrors.InvalidRequest,
                    $"The idempotency key '{report.IdempotencyKey}' was already used for another report; send a new key for a new report."),
            };
        }

        var reset = BudgetWindow.For(report.Metric, now).Reset;
        if (consumption.Accepted && !consumption.Duplicate)
        {
            Diagnostics.AgentsTelemetry.BudgetConsumed.Add(report.Amount, new KeyValuePair<string, object?>("metric", report.Metric.ToString()));
        }

        return new UsageOutcome
        {
            Used = consumption.Used,
            Limit = limit,
            Duplicate = consumption.Duplicate,
            ResetAt = reset,
            Error = consumption.Accepted ? null : new AgentError(AgentErrorCodes.BudgetExhausted, OAuthErrors.TemporarilyUnavailable,
                limit is null
                    ? $"The usage of agent '{agent.Id}' cannot grow further in this window; the report was not counted."
                    : $"Agent '{agent.Id}' has spent its {BudgetGate.Describe(report.Metric)} budget ({limit}); this report was not counted. It resets at {reset:yyyy-MM-ddTHH:mm:ssZ}."),
        };
    }
}
