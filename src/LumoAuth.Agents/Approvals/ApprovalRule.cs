namespace LumoAuth.Agents.Approvals;

/// <summary>
/// A capability an agent may use only with the user's approval of each use (OpenID CIBA), and how long one approval
/// lasts: <see cref="TimeSpan.Zero"/> for a single token, otherwise the time during which the agent may also obtain the
/// capability by token exchange for that user.
/// </summary>
/// <param name="Capability">The capability (scope).</param>
/// <param name="ValidFor">How long one approval lasts; zero for single use.</param>
public sealed record ApprovalRule(string Capability, TimeSpan ValidFor)
{
    /// <summary>The longest an approval may last.</summary>
    public static readonly TimeSpan MaxValidFor = TimeSpan.FromDays(1);

    /// <summary>True when one approval is good for one token only.</summary>
    public bool IsSingleUse => ValidFor <= TimeSpan.Zero;

    /// <summary>
    /// The rules that apply to <paramref name="agent"/>: the server's (<see cref="ApprovalOptions.RequiredFor"/>) and the
    /// agent's own, the agent's winning for the same capability.
    /// </summary>
    public static IReadOnlyDictionary<string, ApprovalRule> For(AgentProfile agent, ApprovalOptions options)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        if (options.RequiredFor.Count == 0 && agent.ApprovalRules.Count == 0)
        {
            return Empty;
        }

        var rules = new Dictionary<string, ApprovalRule>(StringComparer.Ordinal);
        foreach (var rule in options.RequiredFor)
        {
            rules[rule.Capability] = rule;
        }

        foreach (var rule in agent.ApprovalRules)
        {
            rules[rule.Capability] = rule;
        }

        return rules;
    }

    private static readonly IReadOnlyDictionary<string, ApprovalRule> Empty = new Dictionary<string, ApprovalRule>(StringComparer.Ordinal);
}
