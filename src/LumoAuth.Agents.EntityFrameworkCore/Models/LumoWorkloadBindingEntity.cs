namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>The stored form of a workload binding registered for an agent.</summary>
public class LumoWorkloadBindingEntity
{
    /// <summary>The row id.</summary>
    public Guid Id { get; set; }

    /// <summary>The agent the workload logs in as.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The trusted issuer's name.</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>The exact subject.</summary>
    public string Subject { get; set; } = string.Empty;

    /// <summary>The claim conditions, as a JSON object of strings.</summary>
    public string Claims { get; set; } = "{}";
}
