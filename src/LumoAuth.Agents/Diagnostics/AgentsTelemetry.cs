using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LumoAuth.Agents.Diagnostics;

/// <summary>
/// OpenTelemetry instrumentation of the pack: one span per token request (<see cref="ActivitySourceName"/>) and a
/// meter (<see cref="MeterName"/>) with counters of issued tokens by grant, refusals by reason, budget consumed, and a
/// histogram of token request durations. Subscribe with <c>AddSource("LumoAuth.Agents")</c> and
/// <c>AddMeter("LumoAuth.Agents")</c>.
/// </summary>
public static class AgentsTelemetry
{
    /// <summary>The activity source and meter name.</summary>
    public const string ActivitySourceName = "LumoAuth.Agents";

    /// <summary>The meter name.</summary>
    public const string MeterName = "LumoAuth.Agents";

    /// <summary>The span of one token request.</summary>
    public const string TokenRequestActivity = "lumo.agents.token_request";

    /// <summary>The activity source.</summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName);

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Tokens issued, tagged <c>grant_type</c>.</summary>
    public static Counter<long> TokensIssued { get; } = Meter.CreateCounter<long>("lumo.agents.tokens.issued", "{token}", "Tokens issued by the agent pack.");

    /// <summary>Token requests refused, tagged <c>grant_type</c> and <c>reason</c>.</summary>
    public static Counter<long> TokensRefused { get; } = Meter.CreateCounter<long>("lumo.agents.tokens.refused", "{request}", "Token requests refused, by reason code.");

    /// <summary>Budget consumed, tagged <c>metric</c>.</summary>
    public static Counter<long> BudgetConsumed { get; } = Meter.CreateCounter<long>("lumo.agents.budget.consumed", "{unit}", "Usage counted against agents' budgets.");

    /// <summary>Token request duration in milliseconds, tagged <c>grant_type</c> and <c>outcome</c>.</summary>
    public static Histogram<double> TokenRequestDuration { get; } = Meter.CreateHistogram<double>("lumo.agents.token_request.duration", "ms", "Time to decide and answer a token request.");
}
