using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Tests.Delegation;

public class DelegationPolicyTests
{
    private PolicyWorld _world = null!;

    [SetUp]
    public void SetUp() => _world = new PolicyWorld();

    private Task<IssuanceDecision> Decide(TokenFacts subject, TokenFacts? actor, string? client = null, string[]? scopes = null, string[]? audiences = null) =>
        _world.Policy().DecideAsync(new DelegationRequest
        {
            SubjectToken = subject,
            ActorToken = actor,
            AuthenticatedClientId = client,
            RequestedScopes = scopes,
            RequestedAudiences = audiences ?? [],
        }, default).AsTask();

    private static void AssertRefused(IssuanceDecision decision, string code, string oauthError)
    {
        Assert.That(decision.IsGranted, Is.False, "expected a refusal");
        Assert.That(decision.Error!.Code, Is.EqualTo(code), decision.Error.Description);
        Assert.That(decision.Error.OAuthError, Is.EqualTo(oauthError));
        Assert.That(decision.Error.Description, Is.Not.Empty);
    }

    [Test]
    public async Task First_hop_puts_the_user_in_sub_and_the_agent_in_act()
    {
        var decision = await Decide(_world.UserToken(), _world.AgentToken("research-bot"), audiences: ["search-tool"]);
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Subject, Is.EqualTo("user:alice"));
        Assert.That(decision.Chain.ToJsonString(), Is.EqualTo("""{"sub":"agent:research-bot","client_id":"research-bot"}"""));
        Assert.That(decision.Scopes.ToString(), Is.EqualTo("read:articles search:web"));
        Assert.That(decision.Audiences, Is.EqualTo(new[] { "search-tool" }));
    }

    [Test]
    public async Task Second_hop_nests_the_prior_actor_inside_the_new_one()
    {
        var subject = _world.UserToken(scopes: "search:web", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        var decision = await Decide(subject, _world.AgentToken("search-tool"));
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Chain.Select(a => a.Subject), Is.EqualTo(new[] { "agent:search-tool", "agent:research-bot" }));
        Assert.That(decision.Scopes.ToString(), Is.EqualTo("search:web"));
    }

    [Test]
    public async Task Scope_is_the_intersection_of_subject_capabilities_and_consent_when_none_is_asked()
    {
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(1));
        await _world.Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles"), _world.Now, default);
        var decision = await Decide(_world.UserToken(scopes: "read:articles search:web email"), _world.AgentToken("research-bot"));
        Assert.That(decision.Scopes.ToString(), Is.EqualTo("read:articles"));
    }

    [Test]
    public async Task Lifetime_is_capped_by_what_is_left_of_the_subject_token()
    {
        var decision = await Decide(_world.UserToken(lifetime: TimeSpan.FromSeconds(90)), _world.AgentToken("research-bot"));
        Assert.That(decision.Lifetime, Is.EqualTo(TimeSpan.FromSeconds(90)));
    }

    [Test]
    public async Task Lifetime_is_capped_by_what_is_left_of_the_actor_token()
    {
        var decision = await Decide(_world.UserToken(), _world.AgentToken("research-bot", TimeSpan.FromSeconds(42)));
        Assert.That(decision.Lifetime, Is.EqualTo(TimeSpan.FromSeconds(42)));
    }

    [Test]
    public async Task Lifetime_is_capped_by_the_agents_own_lifetime()
    {
        var decision = await Decide(_world.UserToken(lifetime: TimeSpan.FromHours(1)), _world.AgentToken("research-bot", TimeSpan.FromHours(1)));
        Assert.That(decision.Lifetime, Is.EqualTo(AgentProfile.DefaultAccessTokenLifetime));
    }

    [Test]
    public async Task Exchange_is_refused_when_the_inputs_have_no_lifetime_left() =>
        AssertRefused(await Decide(_world.UserToken(lifetime: TimeSpan.FromMilliseconds(500)), _world.AgentToken("research-bot")),
            AgentErrorCodes.LifetimeExhausted, OAuthErrors.InvalidGrant);

    [Test]
    public async Task The_client_alone_can_name_the_actor()
    {
        var decision = await Decide(_world.UserToken(), actor: null, client: "research-bot");
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Chain.Current!.Subject, Is.EqualTo("agent:research-bot"));
    }

    [Test]
    public async Task Exchange_is_refused_without_any_actor() =>
        AssertRefused(await Decide(_world.UserToken(), null), AgentErrorCodes.ActorMissing, OAuthErrors.InvalidRequest);

    [Test]
    public async Task Exchange_is_refused_when_client_and_actor_token_name_different_agents() =>
        AssertRefused(await Decide(_world.UserToken(), _world.AgentToken("research-bot"), client: "other-bot"), AgentErrorCodes.ActorClientMismatch, OAuthErrors.InvalidGrant);

    [Test]
    public async Task Exchange_is_refused_when_the_actor_token_is_a_users_token() =>
        AssertRefused(await Decide(_world.UserToken(), _world.UserToken()), AgentErrorCodes.ActorNotAgent, OAuthErrors.InvalidGrant);

    [Test]
    public async Task Exchange_is_refused_when_the_actor_token_is_itself_delegated()
    {
        var delegated = _world.AgentToken("research-bot") with { Chain = PolicyWorld.Chain("other-bot") };
        AssertRefused(await Decide(_world.UserToken(), delegated), AgentErrorCodes.ActorNotAgent, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_when_the_actor_token_was_issued_to_another_client()
    {
        var borrowed = _world.AgentToken("research-bot") with { ClientId = "other-bot" };
        AssertRefused(await Decide(_world.UserToken(), borrowed), AgentErrorCodes.ActorNotAgent, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_for_an_unknown_agent() =>
        AssertRefused(await Decide(_world.UserToken(), _world.AgentToken("ghost-bot")), AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidGrant);

    [TestCase(AgentStatus.Suspended, AgentErrorCodes.AgentSuspended)]
    [TestCase(AgentStatus.Revoked, AgentErrorCodes.AgentRevoked)]
    public async Task Exchange_is_refused_for_an_inactive_actor(AgentStatus status, string code)
    {
        await _world.Agents.SetStatusAsync("research-bot", status, null, default);
        AssertRefused(await Decide(_world.UserToken(), _world.AgentToken("research-bot")), code, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_when_the_subject_is_an_agent()
    {
        var agentSubject = _world.AgentToken("plain-bot") with { Audiences = new HashSet<string> { "research-bot" } };
        AssertRefused(await Decide(agentSubject, _world.AgentToken("research-bot")), AgentErrorCodes.SubjectNotUser, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_when_the_agent_lacks_delegate_user() =>
        AssertRefused(await Decide(_world.UserToken(clientId: "plain-bot"), _world.AgentToken("plain-bot")), AgentErrorCodes.DelegationNotAllowed, OAuthErrors.InvalidGrant);

    [Test]
    public async Task Exchange_is_refused_when_the_user_never_consented() =>
        AssertRefused(await Decide(_world.UserToken(clientId: "other-bot"), _world.AgentToken("other-bot")), AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant);

    [Test]
    public async Task Exchange_is_refused_once_consent_is_withdrawn()
    {
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        AssertRefused(await Decide(_world.UserToken(), _world.AgentToken("research-bot")), AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_further_hop_is_refused_once_the_first_agents_consent_is_withdrawn()
    {
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        var subject = _world.UserToken(scopes: "search:web", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_when_the_subject_token_belongs_to_another_context() =>
        AssertRefused(await Decide(_world.UserToken(clientId: "some-web-app"), _world.AgentToken("research-bot")), AgentErrorCodes.SubjectNotBoundToActor, OAuthErrors.InvalidGrant);

    [Test]
    public async Task A_subject_token_meant_for_the_agent_is_bound_to_it()
    {
        var decision = await Decide(_world.UserToken(clientId: "some-web-app", audiences: ["research-bot"]), _world.AgentToken("research-bot"));
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
    }

    [TestCase("research-bot", true)]
    [TestCase("search-tool", false)]
    [TestCase(null, false)]
    public async Task A_subject_token_for_a_resource_the_agent_serves_is_bound_to_it(string? servedBy, bool bound)
    {
        _world.Options.Resources.Add(new LumoAuth.Agents.Resources.ProtectedResource { Identifier = "https://mcp.acme.example/mcp", Agent = servedBy });
        var decision = await Decide(_world.UserToken(clientId: "notes-app", audiences: ["https://mcp.acme.example/mcp"]), _world.AgentToken("research-bot"));
        if (bound)
        {
            Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        }
        else
        {
            AssertRefused(decision, AgentErrorCodes.SubjectNotBoundToActor, OAuthErrors.InvalidGrant);
        }
    }

    [TestCase("search-tool", true)]
    [TestCase("research-bot", false)]
    public async Task A_further_hop_may_exchange_a_delegated_token_for_the_resource_it_serves(string servedBy, bool bound)
    {
        // Alice's token, used by Research Bot, sent to the MCP server that Search Tool runs: no passthrough, one more hop.
        _world.Options.Resources.Add(new LumoAuth.Agents.Resources.ProtectedResource { Identifier = "https://mcp.acme.example/mcp", Agent = servedBy });
        var subject = _world.UserToken(scopes: "search:web", audiences: ["https://mcp.acme.example/mcp"], chain: PolicyWorld.Chain("research-bot"));
        var decision = await Decide(subject, _world.AgentToken("search-tool"));
        if (bound)
        {
            Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
            Assert.That(decision.Chain.Depth, Is.EqualTo(2));
        }
        else
        {
            AssertRefused(decision, AgentErrorCodes.SubjectNotBoundToActor, OAuthErrors.InvalidGrant);
        }
    }

    [Test]
    public async Task Binding_can_be_turned_off_by_the_host()
    {
        _world.Options.RequireSubjectTokenBoundToActor = false;
        var decision = await Decide(_world.UserToken(clientId: "some-web-app"), _world.AgentToken("research-bot"));
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
    }

    [Test]
    public async Task May_act_naming_the_actor_allows_the_exchange()
    {
        var decision = await Decide(_world.UserToken(clientId: "some-web-app", mayAct: new Actor("agent:research-bot", "research-bot")), _world.AgentToken("research-bot"));
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Chain.ToJsonString(), Does.Not.Contain("may_act"));
    }

    [Test]
    public async Task Exchange_is_refused_when_may_act_names_another_actor() =>
        AssertRefused(await Decide(_world.UserToken(mayAct: new Actor("agent:other-bot")), _world.AgentToken("research-bot")), AgentErrorCodes.MayActMismatch, OAuthErrors.InvalidGrant);

    [Test]
    public async Task Exchange_is_refused_when_may_act_names_the_actor_with_another_client() =>
        AssertRefused(await Decide(_world.UserToken(mayAct: new Actor("agent:research-bot", "other-bot")), _world.AgentToken("research-bot")), AgentErrorCodes.MayActMismatch, OAuthErrors.InvalidGrant);

    [Test]
    public async Task Exchange_is_refused_when_may_act_names_the_actor_at_another_issuer()
    {
        var subject = _world.UserToken(mayAct: new Actor("agent:research-bot", "research-bot", "https://other-issuer.example/")) with { Issuer = "https://as.example/" };
        AssertRefused(await Decide(subject, _world.AgentToken("research-bot")), AgentErrorCodes.MayActMismatch, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_public_client_named_beside_another_agents_actor_token_is_refused()
    {
        var decision = await _world.Policy().DecideAsync(new DelegationRequest
        {
            SubjectToken = _world.UserToken(),
            ActorToken = _world.AgentToken("research-bot"),
            NamedClientId = "other-bot",
        }, default);
        AssertRefused(decision, AgentErrorCodes.ActorClientMismatch, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_when_the_subject_has_both_may_act_and_act()
    {
        var subject = _world.UserToken(audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"), mayAct: new Actor("agent:search-tool"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.MayActWithAct, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_further_hop_is_refused_when_the_new_actor_is_not_an_allowed_tool()
    {
        var subject = _world.UserToken(audiences: ["other-bot"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("other-bot")), AgentErrorCodes.ActorNotAllowedTool, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_further_hop_is_refused_when_the_subject_token_is_not_meant_for_the_new_actor()
    {
        var subject = _world.UserToken(audiences: ["acme-api"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.SubjectNotBoundToActor, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_further_hop_is_refused_when_an_earlier_actor_was_suspended()
    {
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        var subject = _world.UserToken(scopes: "search:web", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.ChainActorInactive, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_further_hop_is_refused_when_an_earlier_actor_is_not_an_agent()
    {
        var subject = _world.UserToken(scopes: "search:web", audiences: ["search-tool"], chain: new ActorChain([new Actor("user:mallory")]));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.ChainActorInactive, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_when_the_actor_is_already_in_the_chain()
    {
        var subject = _world.UserToken(audiences: ["research-bot"], chain: PolicyWorld.Chain("search-tool", "research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("research-bot")), AgentErrorCodes.ActorRepeated, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Exchange_is_refused_beyond_the_strictest_depth_limit_in_the_chain()
    {
        await _world.Agents.DeleteAsync("research-bot", default);
        _world.Add(new AgentProfile
        {
            Id = "research-bot", DisplayName = "Research Bot", Owner = "research",
            Capabilities = ScopeSet.Parse("read:articles search:web delegate:user"),
            AllowedTools = new HashSet<string> { "search-tool" },
            Delegation = new DelegationRules { CanActForUsers = true, MaxChainDepth = 2 },
        });
        var subject = _world.UserToken(scopes: "search:web", audiences: ["index-tool"], chain: PolicyWorld.Chain("search-tool", "research-bot"));
        var decision = await Decide(subject, _world.AgentToken("index-tool"));
        AssertRefused(decision, AgentErrorCodes.ChainTooDeep, OAuthErrors.InvalidGrant);
        Assert.That(decision.Error!.Description, Does.Contain("limit is 2"));
    }

    [Test]
    public async Task Three_actors_are_allowed_by_the_default_depth()
    {
        var subject = _world.UserToken(scopes: "search:web", audiences: ["index-tool"], chain: PolicyWorld.Chain("search-tool", "research-bot"));
        var decision = await Decide(subject, _world.AgentToken("index-tool"));
        Assert.That(decision.IsGranted, Is.True, decision.Error?.ToString());
        Assert.That(decision.Chain.Depth, Is.EqualTo(3));
    }

    [Test]
    public async Task The_server_wide_depth_ceiling_applies_to_every_agent()
    {
        _world.Options.MaxChainDepth = 1;
        var subject = _world.UserToken(scopes: "search:web", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.ChainTooDeep, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task Asking_for_a_scope_the_subject_token_lacks_is_invalid_scope() =>
        AssertRefused(await Decide(_world.UserToken(scopes: "read:articles"), _world.AgentToken("research-bot"), scopes: ["search:web"]),
            AgentErrorCodes.ScopeExceedsSubject, OAuthErrors.InvalidScope);

    [Test]
    public async Task Asking_for_a_scope_beyond_the_capabilities_is_invalid_scope()
    {
        var subject = _world.UserToken(scopes: "read:articles search:web", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool"), scopes: ["read:articles"]), AgentErrorCodes.ScopeNotInCapabilities, OAuthErrors.InvalidScope);
    }

    [Test]
    public async Task Asking_for_a_scope_the_user_did_not_consent_to_is_invalid_scope()
    {
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(1));
        await _world.Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles"), _world.Now, default);
        AssertRefused(await Decide(_world.UserToken(), _world.AgentToken("research-bot"), scopes: ["search:web"]), AgentErrorCodes.ScopeNotConsented, OAuthErrors.InvalidScope);
    }

    [Test]
    public async Task An_empty_intersection_is_invalid_scope()
    {
        var subject = _world.UserToken(scopes: "read:articles", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        AssertRefused(await Decide(subject, _world.AgentToken("search-tool")), AgentErrorCodes.ScopeEmpty, OAuthErrors.InvalidScope);
    }

    [Test]
    public async Task Asking_for_an_audience_outside_the_allowed_tools_is_invalid_target() =>
        AssertRefused(await Decide(_world.UserToken(), _world.AgentToken("research-bot"), audiences: ["payments-api"]), AgentErrorCodes.TargetNotAllowed, OAuthErrors.InvalidTarget);

    [Test]
    public async Task A_user_token_from_before_a_withdrawn_consent_stays_dead_after_a_new_consent()
    {
        var old = _world.UserToken();
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        await _world.Consents.WithdrawAsync("user:alice", "research-bot", _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        await _world.Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles search:web"), _world.Now, default);
        _world.Time.Advance(TimeSpan.FromSeconds(1));

        AssertRefused(await Decide(old, _world.AgentToken("research-bot")), AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant);
        Assert.That((await Decide(_world.UserToken(), _world.AgentToken("research-bot"))).IsGranted, Is.True, "a user token issued after the new consent works");
    }

    [Test]
    public async Task An_actor_token_from_before_a_suspension_stays_dead_after_the_resume()
    {
        var old = _world.AgentToken("research-bot");
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);

        AssertRefused(await Decide(_world.UserToken(), old), AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant);
        Assert.That((await Decide(_world.UserToken(), _world.AgentToken("research-bot"))).IsGranted, Is.True, "an actor token issued after the resume works");
    }

    [Test]
    public async Task A_delegated_token_from_before_a_suspension_of_an_earlier_actor_stays_dead_after_the_resume()
    {
        var hop = _world.UserToken(scopes: "search:web", audiences: ["search-tool"], chain: PolicyWorld.Chain("research-bot"));
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);
        _world.Time.Advance(TimeSpan.FromSeconds(2));

        AssertRefused(await Decide(hop, _world.AgentToken("search-tool")), AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant);
    }

    [Test]
    public async Task A_token_that_does_not_say_when_it_was_issued_counts_as_issued_before_a_stop()
    {
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default);
        await _world.Agents.SetStatusAsync("research-bot", AgentStatus.Active, null, default);
        _world.Time.Advance(TimeSpan.FromSeconds(2));
        AssertRefused(await Decide(_world.UserToken() with { IssuedAt = null }, _world.AgentToken("research-bot")), AgentErrorCodes.TokenRevoked, OAuthErrors.InvalidGrant);
    }
}
