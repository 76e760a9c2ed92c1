using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>Introspection (RFC 7662) reports a token inactive as soon as an agent it names is stopped or its consent withdrawn.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class IntrospectionTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const string ApiSecret = TestTenant.ApiSecret;

    private async Task<JsonObject> IntrospectAsync(string token, string clientId = "acme-corp-api", string secret = ApiSecret)
    {
        using var content = new FormUrlEncodedContent([KeyValuePair.Create("token", token), KeyValuePair.Create("client_id", clientId), KeyValuePair.Create("client_secret", secret)]);
        using var response = await Client.PostAsync(new Uri("/t/acme-corp/api/v1/oauth/introspect", UriKind.Relative), content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static bool Active(JsonObject introspection) => (bool)introspection["active"]!;

    [Test]
    public async Task A_live_agent_token_reports_its_budget()
    {
        var token = await AgentTokenAsync("research-bot");
        var result = await IntrospectAsync(token);
        Assert.That(Active(result), Is.True, result.ToJsonString());
        Assert.That((string?)result["sub"], Is.EqualTo("agent:research-bot"));
        Assert.That((long)result["budget"]!["llm_tokens"]!["limit"]!, Is.EqualTo(200_000), "the budget names of the admin API and usage reports");
        Assert.That((string?)result["budget"]!["llm_tokens"]!["window"], Is.EqualTo("day"));
        Assert.That((long)result["budget"]!["api_calls"]!["limit"]!, Is.EqualTo(1_000));
    }

    [Test]
    public async Task Suspending_an_agent_deactivates_its_tokens_and_every_chain_it_is_in_for_good()
    {
        await RegisterAsync("casc-a", ["search:web", "delegate:user"], canAct: true, tools: ["casc-b"]);
        await RegisterAsync("casc-b", ["search:web"]);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "casc-a", TestSecret, "search:web");
        var own = await AgentTokenAsync("casc-a");
        var hop1 = (await ExchangeAsync(alice, own, audience: "casc-b")).AccessToken;
        var hop2 = (await ExchangeAsync(hop1, await AgentTokenAsync("casc-b"))).AccessToken;

        var result = await IntrospectAsync(hop2);
        Assert.That(Active(result), Is.True, result.ToJsonString());
        Assert.That((string?)result["act"]!["act"]!["sub"], Is.EqualTo("agent:casc-a"), "introspection returns the whole chain");

        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the tokens
        await SetStatusAsync("casc-a", AgentStatus.Suspended);
        Assert.That(Active(await IntrospectAsync(own)), Is.False, "its own token");
        Assert.That(Active(await IntrospectAsync(alice)), Is.False, "the user token issued to it");
        Assert.That(Active(await IntrospectAsync(hop2)), Is.False, "a chain it appears in, two hops down");

        // A suspension is a security response: resuming brings back nothing issued before it...
        await SetStatusAsync("casc-a", AgentStatus.Active);
        foreach (var (token, what) in new[] { (own, "its own token"), (alice, "the user token issued to it"), (hop2, "the chain") })
        {
            Assert.That(Active(await IntrospectAsync(token)), Is.False, what + " stays dead after the resume");
        }

        var refused = await ExchangeAsync(hop1, await AgentTokenAsync("casc-b"));
        Assert.That(refused["error_code"], Is.EqualTo("token_revoked"), refused.ToString());

        // ...while what is issued after it works.
        var fresh = await AgentTokenAsync("casc-a");
        Assert.That(Active(await IntrospectAsync(fresh)), Is.True, "a token issued after the resume");

        await SetStatusAsync("casc-a", AgentStatus.Revoked);
        Assert.That(Active(await IntrospectAsync(fresh)), Is.False);
    }

    [Test]
    public async Task Withdrawing_consent_deactivates_the_tokens_it_allowed_for_good()
    {
        await RegisterAsync("consent-bot", ["read:articles", "delegate:user"], canAct: true);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "consent-bot", TestSecret, "read:articles");
        var delegated = (await ExchangeAsync(alice, await AgentTokenAsync("consent-bot"))).AccessToken;
        Assert.That(Active(await IntrospectAsync(delegated)), Is.True);

        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the tokens
        await Server.WithServiceAsync<bool, IConsentStore>(store => store.WithdrawAsync("user:alice", "consent-bot", DateTimeOffset.UtcNow, default).AsTask());
        Assert.That(Active(await IntrospectAsync(delegated)), Is.False);
        Assert.That(Active(await IntrospectAsync(alice)), Is.False);

        // Alice consents again: the tokens issued under the withdrawn consent stay dead, new ones work.
        var aliceAgain = await UserConsentFlow.UserTokenAsync(Server, "consent-bot", TestSecret, "read:articles");
        Assert.That(Active(await IntrospectAsync(delegated)), Is.False, "the delegated token from before the withdrawal");
        Assert.That(Active(await IntrospectAsync(alice)), Is.False, "the user token from before the withdrawal");
        var refused = await ExchangeAsync(alice, await AgentTokenAsync("consent-bot"));
        Assert.That(refused["error_code"], Is.EqualTo("token_revoked"), refused.ToString());
        var renewed = await ExchangeAsync(aliceAgain, await AgentTokenAsync("consent-bot"));
        Assert.That(renewed.Status, Is.EqualTo(HttpStatusCode.OK), renewed.ToString());
        Assert.That(Active(await IntrospectAsync(renewed.AccessToken)), Is.True);
    }

    [TestCase("/connect/introspect")]
    [TestCase("/t/acme-corp/api/v1/oauth/introspect")]
    public async Task An_anonymous_caller_learns_nothing_about_agent_or_delegated_tokens(string path)
    {
        var agentToken = await AgentTokenAsync("research-bot");
        var delegated = (await ExchangeAsync(AliceToken, agentToken)).AccessToken;
        foreach (var token in new[] { agentToken, delegated, AliceToken })
        {
            using var content = new FormUrlEncodedContent([KeyValuePair.Create("token", token)]);
            using var response = await Client.PostAsync(new Uri(path, UriKind.Relative), content);
            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), body);
            var json = JsonNode.Parse(body)!.AsObject();
            Assert.That((string?)json["error"], Is.EqualTo("invalid_client"), body);
            Assert.That(json.ContainsKey("active") || json.ContainsKey("sub") || json.ContainsKey("budget"), Is.False, body);
        }
    }

    [Test]
    public async Task A_client_that_is_not_in_the_audience_learns_nothing()
    {
        var hop1 = (await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"), audience: "search-tool")).AccessToken;
        Assert.That(Active(await IntrospectAsync(hop1, "search-tool", SearchToolSecret)), Is.True, "the audience may introspect");
        var outsider = await IntrospectAsync(hop1);
        Assert.That(Active(outsider), Is.False, "acme-corp-api is not in aud");
        Assert.That(outsider.ContainsKey("sub"), Is.False);
    }
}
