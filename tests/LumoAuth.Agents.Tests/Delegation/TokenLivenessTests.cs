using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Tests.Delegation;

public class TokenLivenessTests
{
    private PolicyWorld _world = null!;
    private TokenLiveness _liveness = null!;

    [SetUp]
    public void SetUp()
    {
        _world = new PolicyWorld();
        _liveness = new TokenLiveness(_world.Agents, _world.Consents, _world.Time);
    }

    [Test]
    public async Task A_live_token_is_live() =>
        Assert.That(await _liveness.CheckAsync(_world.UserToken(), default), Is.Null);

    [Test]
    public async Task A_token_issued_in_the_future_is_not_live()
    {
        var error = await _liveness.CheckAsync(_world.UserToken() with { IssuedAt = _world.Now.AddMinutes(5) }, default);
        Assert.That(error?.Code, Is.EqualTo(AgentErrorCodes.TokenNotYetValid));
    }

    [Test]
    public async Task A_token_issued_within_the_clock_skew_is_live() =>
        Assert.That(await _liveness.CheckAsync(_world.UserToken() with { IssuedAt = _world.Now.AddSeconds(30) }, default), Is.Null);

    [Test]
    public async Task After_a_resume_an_old_token_says_it_was_revoked_and_a_new_one_is_live()
    {
        var old = _world.AgentToken("research-bot");
        _world.Time.Advance(TimeSpan.FromSeconds(3));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        Assert.That((await _liveness.CheckAsync(old, default))?.Code, Is.EqualTo(AgentErrorCodes.AgentSuspended), "while suspended");
        _world.Time.Advance(TimeSpan.FromSeconds(3));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);
        Assert.That((await _liveness.CheckAsync(old, default))?.Code, Is.EqualTo(AgentErrorCodes.TokenRevoked), "after the resume");
        Assert.That(await _liveness.CheckAsync(_world.AgentToken("research-bot"), default), Is.Null);
    }

    [TestCase(10, 10, true, TestName = "A token from the stop's own second counts as issued before it")]
    [TestCase(9, 10, true, TestName = "A token from an earlier second is issued before the stop")]
    [TestCase(11, 10, false, TestName = "A token from a later second is issued after the stop")]
    public void The_stop_rule_works_to_the_whole_second(long issuedSecond, long stopSecond, bool before) =>
        Assert.That(TokenLiveness.IssuedBefore(DateTimeOffset.FromUnixTimeSeconds(issuedSecond), DateTimeOffset.FromUnixTimeSeconds(stopSecond).AddMilliseconds(400)), Is.EqualTo(before));

    [Test]
    public void No_stop_means_nothing_is_before_it() =>
        Assert.That(TokenLiveness.IssuedBefore(null, null), Is.False);
}
