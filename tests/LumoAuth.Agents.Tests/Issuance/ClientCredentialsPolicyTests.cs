using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Tests.Delegation;

namespace LumoAuth.Agents.Tests.Issuance;

public class ClientCredentialsPolicyTests
{
    private PolicyWorld _world = null!;
    private ClientCredentialsPolicy _policy = null!;

    [SetUp]
    public void SetUp()
    {
        _world = new PolicyWorld();
        _world.Add(new AgentProfile
        {
            Id = "defaults-bot", DisplayName = "Defaults", Owner = "x",
            Capabilities = LumoAuth.Agents.Scopes.ScopeSet.Parse("a b c"), DefaultScopes = LumoAuth.Agents.Scopes.ScopeSet.Parse("a"),
            AccessTokenLifetime = TimeSpan.FromMinutes(2),
        });
        _policy = new ClientCredentialsPolicy(_world.Agents, new StaticOptions<LumoAuth.Agents.Configuration.LumoAgentsOptions>(_world.Options), _world.Time);
    }

    [Test]
    public async Task An_agent_acting_as_itself_gets_its_own_subject_and_lifetime()
    {
        var decision = await _policy.DecideAsync("defaults-bot", ["b"], [], default);
        Assert.That(decision!.IsGranted, Is.True);
        Assert.That(decision.Subject, Is.EqualTo("agent:defaults-bot"));
        Assert.That(decision.Scopes.ToString(), Is.EqualTo("b"));
        Assert.That(decision.Lifetime, Is.EqualTo(TimeSpan.FromMinutes(2)));
        Assert.That(decision.Audiences, Is.EqualTo(new[] { "acme-api" }));
    }

    [Test]
    public async Task No_scope_asked_gives_the_default_scopes_not_every_capability()
    {
        var decision = await _policy.DecideAsync("defaults-bot", null, [], default);
        Assert.That(decision!.Scopes.ToString(), Is.EqualTo("a"));
    }

    [Test]
    public async Task A_scope_beyond_the_capabilities_is_refused_by_name()
    {
        var decision = await _policy.DecideAsync("defaults-bot", ["a", "admin"], [], default);
        Assert.That(decision!.Error!.Code, Is.EqualTo(AgentErrorCodes.ScopeNotInCapabilities));
        Assert.That(decision.Error.OAuthError, Is.EqualTo(OAuthErrors.InvalidScope));
        Assert.That(decision.Error.Description, Does.Contain("'admin'"));
    }

    [TestCase(AgentStatus.Suspended, AgentErrorCodes.AgentSuspended)]
    [TestCase(AgentStatus.Revoked, AgentErrorCodes.AgentRevoked)]
    public async Task An_inactive_agent_is_an_invalid_client(AgentStatus status, string code)
    {
        await _world.Agents.SetStatusAsync("defaults-bot", status, null, default);
        var decision = await _policy.DecideAsync("defaults-bot", null, [], default);
        Assert.That(decision!.Error!.Code, Is.EqualTo(code));
        Assert.That(decision.Error.OAuthError, Is.EqualTo(OAuthErrors.InvalidClient));
    }

    [Test]
    public async Task An_audience_outside_the_allowed_tools_is_invalid_target()
    {
        var decision = await _policy.DecideAsync("research-bot", null, ["payments-api"], default);
        Assert.That(decision!.Error!.Code, Is.EqualTo(AgentErrorCodes.TargetNotAllowed));
        Assert.That(decision.Error.OAuthError, Is.EqualTo(OAuthErrors.InvalidTarget));
    }

    [Test]
    public async Task Without_an_audience_asked_or_configured_the_request_is_invalid_target()
    {
        _world.Options.DefaultAudience = null;
        var decision = await _policy.DecideAsync("defaults-bot", null, [], default);
        Assert.That(decision!.Error!.Code, Is.EqualTo(AgentErrorCodes.AudienceRequired));
        Assert.That(decision.Error.OAuthError, Is.EqualTo(OAuthErrors.InvalidTarget));
    }

    [Test]
    public async Task A_client_that_is_not_an_agent_is_left_to_the_host() =>
        Assert.That(await _policy.DecideAsync("web-app", null, [], default), Is.Null);
}
