namespace LumoAuth.Agents;

/// <summary>An agent's usage limits. Stored with the agent; enforcement comes with the budget ledger.</summary>
public sealed record BudgetPolicy
{
    /// <summary>Most LLM tokens per UTC day, or <see langword="null"/> for no limit.</summary>
    public long? MaxTokensPerDay { get; init; }

    /// <summary>Most metered API calls per UTC hour, or <see langword="null"/> for no limit.</summary>
    public long? MaxApiCallsPerHour { get; init; }

    /// <summary>Most reported cost per UTC month, in the host's currency unit, or <see langword="null"/>.</summary>
    public decimal? MaxCostPerMonth { get; init; }
}
