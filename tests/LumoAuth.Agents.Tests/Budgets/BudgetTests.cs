using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.Budgets;

public class BudgetTests
{
    [TestCase(BudgetMetric.ApiCallsPerHour, "2026-11-29T10:59:59Z", "2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z")]
    [TestCase(BudgetMetric.LlmTokensPerDay, "2026-11-29T23:59:59Z", "2026-11-29T00:00:00Z", "2026-11-30T00:00:00Z")]
    [TestCase(BudgetMetric.CostPerMonth, "2026-12-31T12:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [TestCase(BudgetMetric.ApiCallsPerHour, "2026-11-29T12:30:00+02:00", "2026-11-29T10:00:00Z", "2026-11-29T11:00:00Z")]
    public void Windows_are_UTC_and_reset_at_their_boundary(BudgetMetric metric, string now, string start, string reset)
    {
        var window = BudgetWindow.For(metric, DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(window.Start, Is.EqualTo(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(window.Reset, Is.EqualTo(DateTimeOffset.Parse(reset, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task The_limit_is_inclusive_and_a_refused_amount_is_not_counted()
    {
        var ledger = new InMemoryBudgetLedger();
        var now = DateTimeOffset.UtcNow;
        Assert.That((await ledger.ConsumeAsync("a", BudgetMetric.ApiCallsPerHour, 2, 3, now, null, default)).Accepted, Is.True);
        Assert.That((await ledger.ConsumeAsync("a", BudgetMetric.ApiCallsPerHour, 2, 3, now, null, default)).Accepted, Is.False);
        Assert.That((await ledger.ConsumeAsync("a", BudgetMetric.ApiCallsPerHour, 1, 3, now, null, default)).Accepted, Is.True);
        Assert.That(await ledger.ReadAsync("a", BudgetMetric.ApiCallsPerHour, now, default), Is.EqualTo(3));
    }

    [Test]
    public async Task Concurrent_consumers_never_pass_the_limit_in_memory()
    {
        var ledger = new InMemoryBudgetLedger();
        var now = DateTimeOffset.UtcNow;
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => ledger.ConsumeAsync("a", BudgetMetric.ApiCallsPerHour, 1, 50, now, null, default).AsTask())));
        Assert.That(results.Count(r => r.Accepted), Is.EqualTo(50));
    }

    [Test]
    public async Task The_gate_refuses_a_spent_budget_with_its_reset_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 10, 15, 0, TimeSpan.Zero));
        var ledger = new InMemoryBudgetLedger();
        var gate = new BudgetGate(ledger, time);
        var agent = new AgentProfile { Id = "a", DisplayName = "A", Owner = "o", Budget = new BudgetPolicy { MaxApiCallsPerHour = 2, MaxTokensPerDay = 1000 } };
        Assert.That(await gate.CheckAsync(agent, default), Is.Null);
        await ledger.ConsumeAsync("a", BudgetMetric.ApiCallsPerHour, 2, 2, time.GetUtcNow(), null, default);
        var spent = await gate.CheckAsync(agent, default);
        Assert.That(spent, Is.Not.Null);
        Assert.That(spent!.Value.Error.Code, Is.EqualTo(AgentErrorCodes.BudgetExhausted));
        Assert.That(spent.Value.Error.OAuthError, Is.EqualTo(OAuthErrors.TemporarilyUnavailable));
        Assert.That(spent.Value.ResetAt, Is.EqualTo(new DateTimeOffset(2026, 11, 29, 11, 0, 0, TimeSpan.Zero)));
        time.Advance(TimeSpan.FromMinutes(45));
        Assert.That(await gate.CheckAsync(agent, default), Is.Null, "a new hour starts afresh");
    }

    [Test]
    public async Task Amounts_near_the_maximum_never_wrap_around()
    {
        var ledger = new InMemoryBudgetLedger();
        var now = DateTimeOffset.UtcNow;
        Assert.That((await ledger.ConsumeAsync("a", BudgetMetric.CostPerMonth, long.MaxValue - 5, long.MaxValue, now, null, default)).Accepted, Is.True);
        Assert.That((await ledger.ConsumeAsync("a", BudgetMetric.CostPerMonth, 10, long.MaxValue, now, null, default)).Accepted, Is.False);
        Assert.That(await ledger.ReadAsync("a", BudgetMetric.CostPerMonth, now, default), Is.EqualTo(long.MaxValue - 5));
    }

    [Test]
    public async Task A_key_reused_for_another_report_is_flagged_not_counted()
    {
        var ledger = new InMemoryBudgetLedger();
        var now = DateTimeOffset.UtcNow;
        await ledger.ConsumeAsync("a", BudgetMetric.LlmTokensPerDay, 100, long.MaxValue, now, "gw|k1", default);
        var reused = await ledger.ConsumeAsync("a", BudgetMetric.CostPerMonth, 5, long.MaxValue, now, "gw|k1", default);
        Assert.That(reused.KeyReused, Is.True);
        Assert.That(reused.Accepted, Is.False);
        Assert.That(await ledger.ReadAsync("a", BudgetMetric.CostPerMonth, now, default), Is.Zero);
    }

    [Test]
    public void Cost_limits_count_in_ten_thousandths() =>
        Assert.That(BudgetGate.Limits(new BudgetPolicy { MaxCostPerMonth = 12.34565m }).Single(), Is.EqualTo((BudgetMetric.CostPerMonth, 123456L)));
}
