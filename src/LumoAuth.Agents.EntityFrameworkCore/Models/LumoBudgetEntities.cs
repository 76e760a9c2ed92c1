namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>One agent's usage of one metric in one UTC window.</summary>
public class LumoBudgetCounterEntity
{
    /// <summary>The agent.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The metric.</summary>
    public int Metric { get; set; }

    /// <summary>The window's start (UTC).</summary>
    public DateTime WindowStart { get; set; }

    /// <summary>The usage so far.</summary>
    public long Used { get; set; }
}

/// <summary>An idempotency receipt: a usage report already counted.</summary>
public class LumoBudgetReceiptEntity
{
    /// <summary>The agent.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The reporter's idempotency key.</summary>
    public string IdempotencyKey { get; set; } = string.Empty;

    /// <summary>The metric counted.</summary>
    public int Metric { get; set; }

    /// <summary>The amount counted.</summary>
    public long Amount { get; set; }

    /// <summary>When it was counted (UTC).</summary>
    public DateTime CountedAt { get; set; }
}
