using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.OpenIddict.Usage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>An agent's budgets as the ledger has them now, in the units of usage reports.</summary>
internal static class AgentBudgetEndpoints
{
    public static async Task<Results<Ok<BudgetStatus>, ProblemHttpResult>> GetAsync(string id, HttpContext http, IAgentStore agents, IBudgetLedger ledger, TimeProvider time)
    {
        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return AdminConventions.AgentUnknown(id).ToResult(http);
        }

        var now = time.GetUtcNow();
        var usage = new List<BudgetUsage>();
        foreach (var metric in Enum.GetValues<BudgetMetric>())
        {
            var limit = BudgetGate.Limits(agent.Budget).Where(l => l.Metric == metric).Select(l => (long?)l.Limit).FirstOrDefault();
            usage.Add(new BudgetUsage(BudgetWire.Name(metric), BudgetWire.Window(metric), BudgetWire.Unit(metric),
                BudgetWire.ToWire(metric, await ledger.ReadAsync(agent.Id, metric, now, http.RequestAborted)), BudgetWire.ToWire(metric, limit),
                BudgetWindow.For(metric, now).Reset));
        }

        return TypedResults.Ok(new BudgetStatus(agent.Id, usage));
    }
}
