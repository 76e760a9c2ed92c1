using System.Text.Json.Serialization;
using LumoAuth.Agents.Budgets;

namespace LumoAuth.Agents.OpenIddict.Usage;

/// <summary>
/// One set of budget names on the wire, used alike by usage reports, the admin API's <c>budget</c> object and its
/// <c>GET /{id}/budget</c>: metrics <c>llm_tokens</c> (per day), <c>api_calls</c> (per hour) and <c>cost</c> (per month,
/// a decimal in the host's currency unit; the ledger's ten-thousandths never leave the server).
/// </summary>
internal static class BudgetWire
{
    public static string Name(BudgetMetric metric) => metric switch
    {
        BudgetMetric.LlmTokensPerDay => "llm_tokens",
        BudgetMetric.ApiCallsPerHour => "api_calls",
        _ => "cost",
    };

    public static bool TryParse(string? name, out BudgetMetric metric)
    {
        foreach (var candidate in Enum.GetValues<BudgetMetric>())
        {
            if (string.Equals(Name(candidate), name, StringComparison.Ordinal))
            {
                metric = candidate;
                return true;
            }
        }

        metric = default;
        return false;
    }

    public static string Window(BudgetMetric metric) => metric switch
    {
        BudgetMetric.LlmTokensPerDay => "day",
        BudgetMetric.ApiCallsPerHour => "hour",
        _ => "month",
    };

    public static string Unit(BudgetMetric metric) => metric switch
    {
        BudgetMetric.LlmTokensPerDay => "tokens",
        BudgetMetric.ApiCallsPerHour => "calls",
        _ => "currency",
    };

    /// <summary>A ledger amount as the wire shows it: cost in currency units, the rest as counted.</summary>
    public static decimal ToWire(BudgetMetric metric, long amount) => metric == BudgetMetric.CostPerMonth ? amount / 10_000m : amount;

    public static decimal? ToWire(BudgetMetric metric, long? amount) => amount is { } value ? ToWire(metric, value) : null;
}

/// <summary>An agent's <c>budget</c> object on the wire; every limit optional (<see langword="null"/>: no limit).</summary>
internal sealed record BudgetView
{
    /// <summary>Most LLM tokens per UTC day.</summary>
    [JsonPropertyName("max_llm_tokens_per_day")] public long? MaxLlmTokensPerDay { get; init; }

    /// <summary>Most metered API calls per UTC hour.</summary>
    [JsonPropertyName("max_api_calls_per_hour")] public long? MaxApiCallsPerHour { get; init; }

    /// <summary>Most reported cost per UTC month, a decimal in the host's currency unit.</summary>
    [JsonPropertyName("max_cost_per_month")] public decimal? MaxCostPerMonth { get; init; }

    public static BudgetView From(BudgetPolicy budget) => new()
    {
        MaxLlmTokensPerDay = budget.MaxTokensPerDay, MaxApiCallsPerHour = budget.MaxApiCallsPerHour, MaxCostPerMonth = budget.MaxCostPerMonth,
    };

    public BudgetPolicy ToPolicy() => new() { MaxTokensPerDay = MaxLlmTokensPerDay, MaxApiCallsPerHour = MaxApiCallsPerHour, MaxCostPerMonth = MaxCostPerMonth };
}
