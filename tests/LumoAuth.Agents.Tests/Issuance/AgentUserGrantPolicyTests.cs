using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Tests.Delegation;

namespace LumoAuth.Agents.Tests.Issuance;

public class AgentUserGrantPolicyTests
{
    private PolicyWorld _world = null!;
    private AgentUserGrantPolicy _policy = null!;

    [SetUp]
    public void SetUp()
    {
        _world = new PolicyWorld();
        _policy = new AgentUserGrantPolicy(_world.Agents, _world.Consents);
    }

    private ValueTask<IssuanceDecision?> Redeem(string scopes = "offline_access read:articles", DateTimeOffset? issuedAt = null) =>
        _policy.DecideAsync("research-bot", "user:alice", ScopeSet.Parse(scopes), ["acme-api"], issuedAt ?? _world.Now, default);

    [Test]
    public async Task A_redemption_within_the_consent_is_allowed() =>
        Assert.That((await Redeem())!.IsGranted, Is.True);

    [Test]
    public async Task A_refresh_after_consent_was_withdrawn_is_refused()
    {
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        var decision = await Redeem();
        Assert.That(decision!.Error!.Code, Is.EqualTo(AgentErrorCodes.ConsentMissing));
        Assert.That(decision.Error.OAuthError, Is.EqualTo(OAuthErrors.InvalidGrant));
    }

    [Test]
    public async Task A_refresh_wider_than_a_narrowed_consent_is_refused()
    {
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(5));
        await _world.Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles"), _world.Now, default);
        Assert.That((await Redeem("read:articles search:web"))!.Error!.Code, Is.EqualTo(AgentErrorCodes.ScopeNotConsented));
    }

    [Test]
    public async Task A_refresh_token_from_before_a_withdrawal_stays_dead_after_a_new_consent()
    {
        var before = _world.Now;
        _world.Time.Advance(TimeSpan.FromSeconds(5));
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(5));
        await _world.Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles"), _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.That((await Redeem("read:articles", before))!.Error!.Code, Is.EqualTo(AgentErrorCodes.TokenRevoked));
        Assert.That((await Redeem("read:articles"))!.IsGranted, Is.True, "a grant issued after the new consent works");
    }

    [Test]
    public async Task A_refresh_token_from_before_a_suspension_stays_dead_after_the_resume()
    {
        var before = _world.Now;
        _world.Time.Advance(TimeSpan.FromSeconds(5));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        _world.Time.Advance(TimeSpan.FromSeconds(5));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);
        var refused = (await Redeem(issuedAt: before))!.Error!;
        Assert.That(refused.Code, Is.EqualTo(AgentErrorCodes.TokenRevoked));
        Assert.That(refused.OAuthError, Is.EqualTo(OAuthErrors.InvalidGrant));
        Assert.That((await Redeem())!.IsGranted, Is.True, "a grant issued after the resume works");
    }

    [Test]
    public async Task A_grant_from_the_same_second_as_the_suspension_counts_as_issued_before_it()
    {
        _world.Time.Advance(TimeSpan.FromMilliseconds(100));
        var sameSecond = _world.Now;
        _world.Time.Advance(TimeSpan.FromMilliseconds(500));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);
        Assert.That((await Redeem(issuedAt: sameSecond))!.Error!.Code, Is.EqualTo(AgentErrorCodes.TokenRevoked));
    }

    [Test]
    public async Task A_stop_undone_within_its_own_second_spares_only_that_seconds_grants()
    {
        var earlier = _world.Now;
        _world.Time.Advance(TimeSpan.FromSeconds(3.1));
        var sameSecond = _world.Now;
        _world.Time.Advance(TimeSpan.FromMilliseconds(300));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        _world.Time.Advance(TimeSpan.FromMilliseconds(300));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);
        Assert.That((await Redeem())!.IsGranted, Is.True, "a grant issued right after the resume works at once");
        Assert.That((await Redeem(issuedAt: sameSecond))!.IsGranted, Is.True, "the stop's own second is spared");
        Assert.That((await Redeem(issuedAt: earlier))!.Error!.Code, Is.EqualTo(AgentErrorCodes.TokenRevoked), "an earlier grant stays dead");
    }

    [TestCase(AgentStatus.Suspended, AgentErrorCodes.AgentSuspended)]
    [TestCase(AgentStatus.Revoked, AgentErrorCodes.AgentRevoked)]
    public async Task An_inactive_agent_cannot_redeem_a_users_token(AgentStatus status, string code)
    {
        await _world.Agents.SetStatusAsync("research-bot", status, null, default);
        Assert.That((await Redeem())!.Error!.Code, Is.EqualTo(code));
    }

    [Test]
    public async Task Clients_that_are_not_agents_are_left_to_the_host() =>
        Assert.That(await _policy.DecideAsync("web-app", "user:alice", ScopeSet.Empty, [], null, default), Is.Null);
}
