using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Tests.Delegation;

namespace LumoAuth.Agents.Tests.AAuth;

public class AAuthPolicyTests
{
    private PolicyWorld _world = null!;
    private AAuthPolicy _policy = null!;
    private static readonly AAuthResource Api = new() { Id = "acme-api", Identifier = new Uri("https://api.example/") };

    [SetUp]
    public void SetUp()
    {
        _world = new PolicyWorld();
        _world.Add((_world.Agents.FindAsync("research-bot", default).AsTask().Result! with { AllowedTools = new HashSet<string> { "search-tool", "acme-api" } }) with { Id = "aauth-bot" });
        _policy = new AAuthPolicy(_world.Agents, new StaticOptions<LumoAgentsOptions>(_world.Options), _world.Time);
    }

    private AgentProfile Agent(string id) => _world.Agents.FindAsync(id, default).AsTask().Result!;

    private ResourceRequest Asks(string scopes, AAuthResource? resource = null) => new(resource ?? Api, ScopeSet.Parse(scopes), _world.Now.AddMinutes(5));

    [Test]
    public async Task The_scope_defaults_to_what_the_resource_asks_and_stays_within_the_capabilities()
    {
        var decision = await _policy.DecideAuthAsync(Agent("aauth-bot"), Asks("read:articles"), null, null, default);
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Scopes.ToString(), Is.EqualTo("read:articles"));
        Assert.That(decision.Audiences, Is.EqualTo(new[] { "https://api.example/" }));
        Assert.That(decision.Chain.Depth, Is.Zero);
        Assert.That(decision.ExpiresAt - decision.IssuedAt, Is.EqualTo(AgentProfile.DefaultAccessTokenLifetime));
    }

    [TestCase("read:articles search:web", "read:articles", AgentErrorCodes.ScopeExceedsResource)]
    [TestCase("admin:all", "admin:all", AgentErrorCodes.ScopeNotInCapabilities)]
    [TestCase("bad\"scope", "read:articles", AgentErrorCodes.ScopeMalformed)]
    [TestCase("", null, AgentErrorCodes.ScopeEmpty)]
    public async Task Scopes_beyond_the_resource_token_or_the_capabilities_are_refused(string requested, string? resourceScopes, string code)
    {
        var decision = await _policy.DecideAuthAsync(Agent("aauth-bot"), Asks(resourceScopes ?? string.Empty), requested.Length == 0 ? null : requested.Split(' '), null, default);
        Assert.That(decision.Error?.Code, Is.EqualTo(code));
    }

    [Test]
    public async Task A_resource_that_is_not_an_allowed_tool_is_refused()
    {
        var decision = await _policy.DecideAuthAsync(Agent("plain-bot"), Asks("read:articles"), null, null, default);
        Assert.That(decision.Error?.Code, Is.EqualTo(AgentErrorCodes.TargetNotAllowed));
    }

    [TestCase(AgentStatus.Suspended, AgentErrorCodes.AgentSuspended)]
    [TestCase(AgentStatus.Revoked, AgentErrorCodes.AgentRevoked)]
    public async Task Inactive_agents_get_neither_agent_nor_auth_tokens(AgentStatus status, string code)
    {
        var agent = Agent("aauth-bot") with { Status = status };
        Assert.That(_policy.DecideAgentToken(agent, TimeSpan.FromHours(1)).Error?.Code, Is.EqualTo(code));
        Assert.That((await _policy.DecideAuthAsync(agent, Asks("read:articles"), null, null, default)).Error?.Code, Is.EqualTo(code));
    }

    [Test]
    public async Task An_exchange_continues_the_subject_with_the_agent_as_current_actor_and_checks_the_chain()
    {
        var search = Agent("search-tool") with { AllowedTools = new HashSet<string> { "acme-api", "index-tool" } };
        var upstream = new TokenFacts { Subject = "agent:research-bot", Scopes = ScopeSet.Parse("search:web read:articles"), ExpiresAt = _world.Now.AddMinutes(2) };
        var decision = await _policy.DecideAuthAsync(search, Asks("search:web"), null, upstream, default);
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Subject, Is.EqualTo("agent:research-bot"));
        Assert.That(decision.Chain.Current!.Subject, Is.EqualTo("agent:search-tool"));
        Assert.That(decision.ExpiresAt, Is.EqualTo(_world.Now.AddMinutes(2)), "never outlives the upstream token");

        // The next hop must be an allowed tool of the caller: research-bot lists search-tool, not index-tool.
        var index = Agent("index-tool") with { AllowedTools = new HashSet<string> { "acme-api" } };
        Assert.That((await _policy.DecideAuthAsync(index, Asks("search:web"), null, upstream, default)).Error?.Code, Is.EqualTo(AgentErrorCodes.ActorNotAllowedTool));

        // An agent cannot appear twice, and the upstream scope bounds the new one.
        Assert.That((await _policy.DecideAuthAsync(Agent("research-bot") with { AllowedTools = new HashSet<string> { "acme-api" } }, Asks("search:web"), null, upstream, default)).Error?.Code,
            Is.EqualTo(AgentErrorCodes.ActorRepeated));
        var narrow = upstream with { Scopes = ScopeSet.Parse("read:articles") };
        Assert.That((await _policy.DecideAuthAsync(search, Asks("search:web"), null, narrow, default)).Error?.Code, Is.EqualTo(AgentErrorCodes.ScopeExceedsSubject));

        // Every earlier actor must still be active.
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        Assert.That((await _policy.DecideAuthAsync(search, Asks("search:web"), null, upstream, default)).Error?.Code, Is.EqualTo(AgentErrorCodes.ChainActorInactive));
    }

    [Test]
    public async Task An_exchange_beyond_the_depth_limit_is_refused()
    {
        _world.Options.MaxChainDepth = 1;
        var search = Agent("search-tool") with { AllowedTools = new HashSet<string> { "acme-api" } };
        var upstream = new TokenFacts
        {
            Subject = "agent:other-bot",
            Scopes = ScopeSet.Parse("search:web"),
            ExpiresAt = _world.Now.AddMinutes(2),
            Chain = PolicyWorld.Chain("research-bot"),
        };
        Assert.That((await _policy.DecideAuthAsync(search, Asks("search:web"), null, upstream, default)).Error?.Code, Is.EqualTo(AgentErrorCodes.ChainTooDeep));
    }
}
