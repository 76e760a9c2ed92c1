using System.Globalization;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Consent;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>Every agent with its status, capabilities, budgets and users' consents, and the buttons that change its status.</summary>
public sealed class AgentsModel(IAgentStore agents, IConsentStore consents, IBudgetLedger ledger, TimeProvider time, IAntiforgery antiforgery) : PageModel
{
    /// <summary>The most agents one page shows.</summary>
    public const int MaxAgents = 200;

    private const int MaxConsentsPerAgent = 50;
    private static readonly BudgetMetric[] Metrics = Enum.GetValues<BudgetMetric>();

    /// <summary>The agents by id, each with what its card shows.</summary>
    public IReadOnlyList<AgentCard> Agents { get; private set; } = [];

    /// <summary>The anti-forgery token every button's form carries.</summary>
    public AntiforgeryTokenSet Tokens { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Tokens = antiforgery.GetAndStoreTokens(HttpContext);
        var now = time.GetUtcNow();
        var cards = new List<AgentCard>();
        foreach (var agent in await agents.ListAsync(new AgentQuery { Take = MaxAgents }, cancellationToken))
        {
            var used = await ledger.ReadManyAsync(agent.Id, Metrics, now, cancellationToken);
            var limits = BudgetGate.Limits(agent.Budget).ToDictionary(l => l.Metric, l => l.Limit);
            var budgets = Metrics.Select(m => BudgetRow.For(m, used.GetValueOrDefault(m), limits.TryGetValue(m, out var limit) ? limit : null, now)).ToList();
            cards.Add(new AgentCard(agent, budgets, await consents.ListByAgentAsync(agent.Id, 0, MaxConsentsPerAgent, cancellationToken)));
        }

        Agents = cards;
    }
}

/// <summary>One agent's card.</summary>
public sealed record AgentCard(AgentProfile Agent, IReadOnlyList<BudgetRow> Budgets, IReadOnlyList<ConsentGrant> Consents)
{
    /// <summary>The status as the page's class names and <c>data-status</c> spell it.</summary>
    public string Status => Agent.Status.ToString().ToLowerInvariant();
}

/// <summary>One budget of an agent: what it used in the current window against its limit, if it has one.</summary>
public sealed record BudgetRow(string Label, string Used, string? Limit, long UsedValue, long? LimitValue, decimal Percent, string Level, DateTimeOffset Reset)
{
    /// <summary>The row for <paramref name="metric"/>, the bar's fill and colour included.</summary>
    public static BudgetRow For(BudgetMetric metric, long used, long? limit, DateTimeOffset now)
    {
        var (label, format) = metric switch
        {
            BudgetMetric.LlmTokensPerDay => ("LLM tokens today", (Func<long, string>)(v => v.ToString("N0", CultureInfo.InvariantCulture))),
            BudgetMetric.ApiCallsPerHour => ("API calls this hour", v => v.ToString("N0", CultureInfo.InvariantCulture)),
            // The ledger counts cost in ten-thousandths of the currency unit.
            _ => ("Cost this month", v => (v / 10_000m).ToString("N2", CultureInfo.InvariantCulture)),
        };
        if (limit is not { } max)
        {
            return new BudgetRow(label, format(used), null, used, null, 0m, "ok", default);
        }

        var percent = max <= 0 ? 100m : Math.Min(100m, used * 100m / max);
        var level = percent >= 100m ? "full" : percent >= 80m ? "high" : "ok";
        return new BudgetRow(label, format(used), format(max), used, max, percent, level, BudgetWindow.For(metric, now).Reset);
    }
}
