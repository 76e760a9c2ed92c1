using LumoAuth.Agents.Agents;
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

    private ValueTask<IssuanceDecision?> Redeem(string scopes = "offline_access read:articles") =>
        _policy.DecideAsync("research-bot", "user:alice", ScopeSet.Parse(scopes), ["acme-api"], default);

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
        await _world.Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles"), _world.Now, default);
        Assert.That((await Redeem("read:articles search:web"))!.Error!.Code, Is.EqualTo(AgentErrorCodes.ScopeNotConsented));
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
        Assert.That(await _policy.DecideAsync("web-app", "user:alice", ScopeSet.Empty, [], default), Is.Null);
}
