namespace LumoAuth.Agents.Budgets;

/// <summary>What a budget counts, and over which UTC window.</summary>
public enum BudgetMetric
{
    /// <summary>LLM tokens reported by whoever calls the model, per UTC day (<c>max_tokens_per_day</c>).</summary>
    LlmTokensPerDay = 0,

    /// <summary>Metered API calls, per UTC hour (<c>max_api_calls_per_hour</c>).</summary>
    ApiCallsPerHour = 1,

    /// <summary>Reported cost in the host's currency unit, in ten-thousandths, per UTC month (<c>max_cost_per_month</c>).</summary>
    CostPerMonth = 2,
}

/// <summary>The UTC window a metric's usage falls in.</summary>
public readonly record struct BudgetWindow(DateTimeOffset Start, DateTimeOffset Reset)
{
    /// <summary>The window of <paramref name="metric"/> that contains <paramref name="now"/>.</summary>
    public static BudgetWindow For(BudgetMetric metric, DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        return metric switch
        {
            BudgetMetric.LlmTokensPerDay => new(new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1)),
            BudgetMetric.ApiCallsPerHour => new(new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero), new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero).AddHours(1)),
            _ => new(new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1)),
        };
    }
}
