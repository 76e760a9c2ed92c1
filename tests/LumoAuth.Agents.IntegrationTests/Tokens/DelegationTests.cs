using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>Seed pattern 3 through the whole server: the chain of agency, and every refusal with its code and audit record.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class DelegationTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const string Jwt = "urn:ietf:params:oauth:token-type:jwt";
    private const string IdToken = "urn:ietf:params:oauth:token-type:id_token";
    private const string RefreshToken = "urn:ietf:params:oauth:token-type:refresh_token";

    private async Task<string> Hop1Async(string scope = "read:articles search:web", string audience = "search-tool")
    {
        var response = await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"), scope, audience);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        return response.AccessToken;
    }

    [Test]
    public async Task The_seed_request_as_written_gets_a_token_for_alice_acted_on_by_research_bot()
    {
        var actorToken = await AgentTokenAsync("research-bot");
        var response = await TokenEndpoint.PostAsync(Client, TokenEndpoint.Exchange(AliceToken, actorToken, audience: "search-tool"), TokenEndpoint.SeedPath);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(response["issued_token_type"], Is.EqualTo(TokenEndpoint.AccessTokenType));
        var token = response.AccessToken;
        var payload = TokenEndpoint.Payload(token);
        Assert.Multiple(() =>
        {
            Assert.That((string?)TokenEndpoint.Header(token)["typ"], Is.EqualTo("at+jwt"));
            Assert.That((string?)payload["sub"], Is.EqualTo("user:alice"));
            Assert.That(TokenEndpoint.Compact(payload["act"]), Is.EqualTo("""{"sub":"agent:research-bot","client_id":"research-bot"}"""));
            Assert.That((string?)payload["client_id"], Is.EqualTo("research-bot"));
            Assert.That((string?)payload["scope"], Is.EqualTo("read:articles search:web"));
            Assert.That((string?)payload["aud"], Is.EqualTo("search-tool"));
            Assert.That(payload.ContainsKey("may_act"), Is.False);
            Assert.That((long)payload["exp"]!, Is.LessThanOrEqualTo((long)TokenEndpoint.Payload(actorToken)["exp"]!), "never outlives the actor token");
            Assert.That((long)payload["exp"]!, Is.LessThanOrEqualTo((long)TokenEndpoint.Payload(AliceToken)["exp"]!), "never outlives the subject token");
        });
    }

    [Test]
    public async Task The_same_request_with_the_agents_client_authentication_works()
    {
        var response = await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"), "read:articles", null,
            ("client_id", "research-bot"), ("client_secret", ResearchBotSecret));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["act"]!["sub"], Is.EqualTo("agent:research-bot"));
    }

    [Test]
    public async Task Client_authentication_alone_can_name_the_actor()
    {
        var response = await ExchangeAsync(AliceToken, null, "read:articles", null, ("client_id", "research-bot"), ("client_secret", ResearchBotSecret));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["act"]!["sub"], Is.EqualTo("agent:research-bot"));
    }

    [Test]
    public async Task Alice_to_Research_Bot_to_Search_Tool_nests_the_chain_current_actor_outermost()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var hop1 = await Hop1Async();
        var hop2 = await ExchangeAsync(hop1, await AgentTokenAsync("search-tool"));
        Assert.That(hop2.Status, Is.EqualTo(HttpStatusCode.OK), hop2.ToString());

        var payload = TokenEndpoint.Payload(hop2.AccessToken);
        Assert.That((string?)payload["sub"], Is.EqualTo("user:alice"));
        Assert.That(TokenEndpoint.Compact(payload["act"]),
            Is.EqualTo("""{"sub":"agent:search-tool","client_id":"search-tool","act":{"sub":"agent:research-bot","client_id":"research-bot"}}"""));
        Assert.That((string?)payload["scope"], Is.EqualTo("search:web"), "narrowed to Search Tool's capabilities");

        var record = (await Server.AuditAsync(new AuditQuery { AgentId = "search-tool", Outcome = AuditOutcome.Issued, From = since }))
            .Single(r => r.TokenId == (string?)payload["jti"]);
        Assert.Multiple(() =>
        {
            Assert.That(record.ChainDescription, Is.EqualTo("Search Tool, used by Research Bot, acting for alice"));
            Assert.That(record.ChainDepth, Is.EqualTo(2));
            Assert.That(record.Subject, Is.EqualTo("user:alice"));
            Assert.That(record.GrantType, Is.EqualTo(TokenEndpoint.TokenExchange));
            Assert.That(JsonNode.Parse(record.ActorChain!)!["act"]!["sub"]!.GetValue<string>(), Is.EqualTo("agent:research-bot"));
            Assert.That(record.ScopesGranted, Is.EqualTo("search:web"));
            Assert.That(record.ClientIp, Is.EqualTo("127.0.0.1"));
            Assert.That(record.ClientId, Is.Null, "the seed's request names no client; the actor token proved the agent");
            Assert.That(record.AgentId, Is.EqualTo("search-tool"));
        });
    }

    // ----- malformed requests -----

    [Test]
    public Task A_missing_subject_token_is_invalid_request() => AssertRefusedAsync(
        () => TokenEndpoint.PostAsync(Client, [("grant_type", TokenEndpoint.TokenExchange), ("subject_token_type", TokenEndpoint.AccessTokenType), ("actor_token", "x"), ("actor_token_type", TokenEndpoint.AccessTokenType)]),
        "invalid_request", "parameter_missing");

    [Test]
    public async Task An_empty_subject_token_is_invalid_request_never_a_fallback_to_the_client()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync("", actor, extra: [("client_id", "research-bot"), ("client_secret", ResearchBotSecret)]), "invalid_request", "parameter_missing");
    }

    [Test]
    public async Task A_duplicated_subject_token_is_invalid_request()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, extra: ("subject_token", AliceToken)), "invalid_request", "parameter_duplicated");
    }

    [Test]
    public async Task A_duplicated_actor_token_is_invalid_request()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, extra: ("actor_token", actor)), "invalid_request", "parameter_duplicated");
    }

    [Test]
    public Task A_missing_subject_token_type_is_invalid_request() => AssertRefusedAsync(
        () => TokenEndpoint.PostAsync(Client, [("grant_type", TokenEndpoint.TokenExchange), ("subject_token", AliceToken), ("actor_token", "x"), ("actor_token_type", TokenEndpoint.AccessTokenType)]),
        "invalid_request", "parameter_missing");

    [TestCase(IdToken)]
    [TestCase(RefreshToken)]
    [TestCase(Jwt)]
    public async Task A_subject_token_type_other_than_access_token_is_refused(string type)
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client,
            [("grant_type", TokenEndpoint.TokenExchange), ("subject_token", AliceToken), ("subject_token_type", type), ("actor_token", actor), ("actor_token_type", TokenEndpoint.AccessTokenType)]),
            "invalid_request", "subject_token_type_unsupported");
    }

    [Test]
    public async Task An_actor_token_type_other_than_access_token_is_refused()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client,
            [("grant_type", TokenEndpoint.TokenExchange), ("subject_token", AliceToken), ("subject_token_type", TokenEndpoint.AccessTokenType), ("actor_token", actor), ("actor_token_type", IdToken)]),
            "invalid_request", "actor_token_type_unsupported");
    }

    [Test]
    public async Task An_actor_token_without_its_type_is_invalid_request()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client,
            [("grant_type", TokenEndpoint.TokenExchange), ("subject_token", AliceToken), ("subject_token_type", TokenEndpoint.AccessTokenType), ("actor_token", actor)]),
            "invalid_request", "parameter_missing");
    }

    [Test]
    public Task An_anonymous_exchange_without_an_actor_token_is_refused() =>
        AssertRefusedAsync(() => ExchangeAsync(AliceToken, null), "invalid_request", "actor_missing");

    [Test]
    public async Task Requesting_a_refresh_token_is_refused()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, extra: ("requested_token_type", RefreshToken)), "invalid_request", "requested_token_type_unsupported");
    }

    // ----- bad tokens -----

    [Test]
    public async Task A_garbage_subject_token_is_invalid_grant()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync("not-a-token", actor), "invalid_grant", "token_invalid");
    }

    [Test]
    public async Task A_subject_token_with_a_tampered_payload_is_invalid_grant()
    {
        var actor = await AgentTokenAsync("research-bot");
        var parts = AliceToken.Split('.');
        var payload = TokenEndpoint.Payload(AliceToken);
        payload["scope"] = "read:articles search:web delegate:user";
        var forged = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload.ToJsonString()) + "." + parts[2];
        await AssertRefusedAsync(() => ExchangeAsync(forged, actor), "invalid_grant", "token_invalid");
    }

    [Test]
    public async Task A_five_part_JWE_shaped_subject_token_is_invalid_grant()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc", actor), "invalid_grant", "token_invalid");
    }

    [Test]
    public async Task An_unsigned_subject_token_is_invalid_grant()
    {
        var actor = await AgentTokenAsync("research-bot");
        var header = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("""{"alg":"none","typ":"at+jwt"}""");
        var unsigned = header + "." + AliceToken.Split('.')[1] + ".";
        await AssertRefusedAsync(() => ExchangeAsync(unsigned, actor), "invalid_grant", "token_invalid");
    }

    [TestCase("id_token", TestName = "An_ID_token_declared_as_an_access_token_is_refused")]
    [TestCase("refresh_token", TestName = "A_refresh_token_declared_as_an_access_token_is_refused")]
    public async Task A_token_of_another_type_declared_as_an_access_token_is_refused(string which)
    {
        var tokens = await UserConsentFlow.UserTokensAsync(Server, "research-bot", ResearchBotSecret, "openid offline_access read:articles search:web");
        var other = tokens[which];
        Assert.That(other, Is.Not.Null.And.Not.Empty, $"the code flow should have returned an {which}");
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(other!, actor), "invalid_grant", "token_type_mismatch");
        await AssertRefusedAsync(() => ExchangeAsync(tokens.AccessToken, other), "invalid_grant", "token_type_mismatch");
    }

    [Test]
    public async Task An_agents_own_token_is_not_a_user_subject()
    {
        var actor = await AgentTokenAsync("research-bot");
        var agentToken = await AgentTokenAsync("plain-bot");
        await AssertRefusedAsync(() => ExchangeAsync(agentToken, actor), "invalid_grant", "subject_not_user");
    }

    [Test]
    public Task A_users_token_is_not_an_actor_token() =>
        AssertRefusedAsync(() => ExchangeAsync(AliceToken, AliceToken), "invalid_grant", "actor_not_agent");

    [Test]
    public async Task A_delegated_token_is_not_an_actor_token()
    {
        var hop1 = await Hop1Async();
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, hop1), "invalid_grant", "actor_not_agent");
    }

    [Test]
    public async Task A_public_client_named_beside_another_agents_actor_token_is_refused()
    {
        await RegisterAsync("public-bot", ["read:articles"], secret: null);
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, extra: ("client_id", "public-bot")), "invalid_grant", "actor_client_mismatch");
    }

    [Test]
    public async Task An_actor_token_of_another_agent_than_the_authenticated_client_is_refused()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, extra: [("client_id", "search-tool"), ("client_secret", SearchToolSecret)]),
            "invalid_grant", "actor_client_mismatch");
    }

    // ----- who may act -----

    [Test]
    public async Task An_agent_without_delegate_user_cannot_act_for_alice()
    {
        var aliceForPlainBot = await UserConsentFlow.UserTokenAsync(Server, "plain-bot", TestSecret, "read:articles");
        var actor = await AgentTokenAsync("plain-bot");
        await AssertRefusedAsync(() => ExchangeAsync(aliceForPlainBot, actor), "invalid_grant", "delegation_not_allowed");
    }

    [Test]
    public async Task A_subject_token_from_another_context_cannot_be_spliced_in()
    {
        var actor = await AgentTokenAsync("other-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor), "invalid_grant", "subject_not_bound_to_actor");
    }

    [Test]
    public async Task A_suspended_actor_is_refused_and_after_the_resume_only_its_new_tokens_work()
    {
        // Its own agent: a suspension kills every token issued before it for good, so the shared ones are left alone.
        await RegisterAsync("pause-bot", ["read:articles", "delegate:user"], canAct: true);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "pause-bot", TestSecret, "read:articles");
        var actor = await AgentTokenAsync("pause-bot");
        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the tokens
        await SetStatusAsync("pause-bot", AgentStatus.Suspended);
        await AssertRefusedAsync(() => ExchangeAsync(alice, actor), "invalid_grant", "agent_suspended");

        await SetStatusAsync("pause-bot", AgentStatus.Active);
        await AssertRefusedAsync(() => ExchangeAsync(alice, actor), "invalid_grant", "token_revoked");
        var aliceAgain = await UserConsentFlow.UserTokenAsync(Server, "pause-bot", TestSecret, "read:articles");
        var response = await ExchangeAsync(aliceAgain, await AgentTokenAsync("pause-bot"));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task A_revoked_actor_is_refused()
    {
        await RegisterAsync("doomed-bot", ["read:articles", "delegate:user"], canAct: true);
        var actor = await AgentTokenAsync("doomed-bot");
        await SetStatusAsync("doomed-bot", AgentStatus.Revoked);
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor), "invalid_grant", "agent_revoked");
    }

    [Test]
    public async Task A_further_hop_is_refused_when_an_earlier_actor_was_suspended_and_stays_refused_after_the_resume()
    {
        await RegisterAsync("hop-a", ["search:web", "delegate:user"], canAct: true, tools: ["search-tool"]);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "hop-a", TestSecret, "search:web");
        var hop1 = (await ExchangeAsync(alice, await AgentTokenAsync("hop-a"), audience: "search-tool")).AccessToken;
        var actor = await AgentTokenAsync("search-tool");
        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the tokens
        await SetStatusAsync("hop-a", AgentStatus.Suspended);
        await AssertRefusedAsync(() => ExchangeAsync(hop1, actor), "invalid_grant", "chain_actor_inactive");
        await SetStatusAsync("hop-a", AgentStatus.Active);
        await AssertRefusedAsync(() => ExchangeAsync(hop1, actor), "invalid_grant", "token_revoked");
    }

    [Test]
    public async Task A_further_hop_to_an_agent_that_is_not_an_allowed_tool_is_refused()
    {
        var hop1 = await Hop1Async();
        await AssertRefusedAsync(async () => await ExchangeAsync(hop1, await AgentTokenAsync("other-bot")), "invalid_grant", "actor_not_allowed_tool");
    }

    [Test]
    public async Task An_actor_cannot_appear_twice_in_a_chain()
    {
        var hop1 = await Hop1Async();
        await AssertRefusedAsync(async () => await ExchangeAsync(hop1, await AgentTokenAsync("research-bot")), "invalid_grant", "actor_repeated");
    }

    [Test]
    public async Task A_chain_deeper_than_the_limit_is_refused()
    {
        var alice = await UserConsentFlow.UserTokenAsync(Server, "deep-a", TestSecret, "search:web");
        var hop1 = await ExchangeAsync(alice, await AgentTokenAsync("deep-a"), audience: "deep-b");
        Assert.That(hop1.Status, Is.EqualTo(HttpStatusCode.OK), hop1.ToString());
        var hop2 = await ExchangeAsync(hop1.AccessToken, await AgentTokenAsync("deep-b"), audience: "deep-c");
        Assert.That(hop2.Status, Is.EqualTo(HttpStatusCode.OK), hop2.ToString());
        var actor = await AgentTokenAsync("deep-c");
        await AssertRefusedAsync(() => ExchangeAsync(hop2.AccessToken, actor), "invalid_grant", "chain_too_deep");
    }

    // ----- budgets -----

    [Test]
    public async Task An_agent_over_its_budget_gets_no_token_as_itself_nor_as_an_actor()
    {
        await RegisterAsync("thrifty-bot", ["read:articles", "search:web", "delegate:user"], canAct: true, budget: new BudgetPolicy { MaxApiCallsPerHour = 3 });
        var alice = await UserConsentFlow.UserTokenAsync(Server, "thrifty-bot", TestSecret, "read:articles");
        var actor = await AgentTokenAsync("thrifty-bot");
        var spent = await Server.WithServiceAsync<LumoAuth.Agents.Budgets.BudgetConsumption, LumoAuth.Agents.Budgets.IBudgetLedger>(ledger =>
            ledger.ConsumeAsync("thrifty-bot", LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 3, 3, DateTimeOffset.UtcNow, null, default).AsTask());
        Assert.That(spent.Accepted, Is.True);

        await AssertRefusedAsync(() => TokenEndpoint.ClientCredentialsAsync(Client, "thrifty-bot", TestSecret), "temporarily_unavailable", "budget_exhausted");
        await AssertRefusedAsync(() => ExchangeAsync(alice, actor), "temporarily_unavailable", "budget_exhausted");

        using var raw = await Client.PostAsync(new Uri(TokenEndpoint.DefaultPath, UriKind.Relative), new FormUrlEncodedContent(
            [KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("client_id", "thrifty-bot"), KeyValuePair.Create("client_secret", TestSecret)]));
        Assert.That((int)raw.StatusCode, Is.EqualTo(429));
        var retryAfter = raw.Headers.RetryAfter?.Delta;
        Assert.That(retryAfter, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromHours(1)), "Retry-After counts down to the next UTC hour");
    }

    // ----- scopes and targets -----

    [Test]
    public async Task Asking_for_a_scope_the_subject_token_lacks_is_invalid_scope()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, "read:articles delegate:user"), "invalid_scope", "scope_exceeds_subject");
    }

    [Test]
    public async Task Asking_for_a_scope_beyond_the_new_actors_capabilities_is_invalid_scope()
    {
        var hop1 = await Hop1Async();
        var actor = await AgentTokenAsync("search-tool");
        await AssertRefusedAsync(() => ExchangeAsync(hop1, actor, "read:articles"), "invalid_scope", "scope_not_in_capabilities");
    }

    [Test]
    public async Task Narrowing_a_consent_revokes_the_tokens_issued_under_the_wider_one()
    {
        // Its own agent: narrowing a consent means withdrawing it, which kills the tokens issued under it for good.
        await RegisterAsync("narrow-bot", ["read:articles", "search:web", "delegate:user"], canAct: true);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "narrow-bot", TestSecret, "read:articles search:web");
        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the token
        await Server.WithServiceAsync<bool, IConsentStore>(async store =>
        {
            await store.WithdrawAsync("user:alice", "narrow-bot", DateTimeOffset.UtcNow, default);
            await store.GrantAsync("user:alice", "narrow-bot", ScopeSet.Parse("read:articles"), DateTimeOffset.UtcNow, default);
            return true;
        });
        var actor = await AgentTokenAsync("narrow-bot");
        await AssertRefusedAsync(() => ExchangeAsync(alice, actor, "read:articles"), "invalid_grant", "token_revoked");
    }

    [Test]
    public async Task Nothing_left_after_narrowing_is_invalid_scope()
    {
        var hop1 = await Hop1Async(scope: "read:articles");
        var actor = await AgentTokenAsync("search-tool");
        await AssertRefusedAsync(() => ExchangeAsync(hop1, actor), "invalid_scope", "scope_empty");
    }

    [Test]
    public async Task An_audience_outside_the_allowed_tools_is_invalid_target()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, audience: "payments-api"), "invalid_target", "target_not_allowed");
    }
}
