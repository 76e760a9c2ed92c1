using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.ResourceServer;

/// <summary>
/// The resource-server package over real HTTP: an API built on it (and test endpoints beside it) takes tokens from the
/// library's test host; forged tokens are signed with that server's own key, so each check is reached on its own.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public sealed class ResourceServerTests(DatabaseKind database) : AgentServerFixture(database)
{
    private LibraryApiHost _api = null!;
    private HttpClient _apiClient = null!;
    private string _researchBot = null!;
    private string _searchTool = null!;
    private string _aliceViaResearchBot = null!;
    private string _aliceViaSearchTool = null!;

    private LibraryServer Library => (LibraryServer)Server;

    [OneTimeSetUp]
    public async Task StartApiAsync()
    {
        await RegisterAsync("meter-bot", ["read:articles"], budget: new BudgetPolicy { MaxApiCallsPerHour = 3 });
        _api = await LibraryApiHost.StartAsync(Library, map: app =>
        {
            app.MapGet("/test/only-research-bot", () => "ok").RequireAuthorization(p => p.AllowActors("research-bot"));
            app.MapGet("/test/no-search-tool", () => "ok").RequireAuthorization(p => p.ForbidActors("search-tool"));
            app.MapGet("/test/attribute", () => "ok").WithMetadata(new RequireAgentAttribute { Capabilities = "search:web read:articles", ActingForUser = true });
            app.MapGet("/test/caller", (HttpContext http) =>
            {
                var caller = http.GetAgentCaller()!;
                return Results.Ok(new { caller.Subject, current = caller.CurrentActor.Subject, chain = caller.Chain.Select(a => a.Subject), caller.AgentId, words = caller.Describe() });
            }).RequireAuthorization(p => p.RequireAuthenticatedUser());
            app.MapControllers();
        }, configure: builder => builder.Services.AddControllers().AddApplicationPart(typeof(ResourceServerTests).Assembly));
        _apiClient = _api.Http();
        _researchBot = await AgentTokenAsync("research-bot", scope: "read:articles search:web");
        _searchTool = await AgentTokenAsync("search-tool");
        _aliceViaResearchBot = (await ExchangeAsync(AliceToken, _researchBot, scope: "search:web read:articles")).AccessToken;
        var forTool = (await ExchangeAsync(AliceToken, _researchBot, scope: "search:web", audience: "search-tool")).AccessToken;
        _aliceViaSearchTool = (await ExchangeAsync(forTool, _searchTool, scope: "search:web")).AccessToken;
    }

    [OneTimeTearDown]
    public async Task StopApiAsync()
    {
        _apiClient?.Dispose();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }

    // ---- authentication (401)

    [Test]
    public async Task A_request_without_a_token_gets_a_bare_Bearer_challenge()
    {
        using var response = await _apiClient.GetAsync(new Uri("articles", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"), "RFC 6750 §3.1: no error code when no token was sent");
    }

    [TestCase("not-a-jwt", "not a signed JWT")]
    [TestCase("a.b.c", "not a well-formed JWT")]
    [TestCase("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", "encrypted and unsigned tokens are not accepted")]
    [TestCase("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.", "algorithm 'none' is not accepted")]
    public async Task Malformed_tokens_are_refused_as_invalid_token(string token, string description)
    {
        var (status, challenge, body) = await GetAsync("articles", token);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(challenge, Does.StartWith("Bearer error=\"invalid_token\", error_description=\""));
            Assert.That(body!["error"]!.GetValue<string>(), Is.EqualTo("invalid_token"));
            Assert.That(body["error_description"]!.GetValue<string>(), Does.Contain(description));
        });
    }

    [Test]
    public async Task Two_authorization_headers_are_an_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "articles");
        request.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + _researchBot, "Bearer " + _researchBot]);
        using var response = await _apiClient.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_request\""));
    }

    [Test]
    public async Task An_id_token_from_the_same_server_is_not_an_access_token()
    {
        var tokens = await UserConsentFlow.UserTokensAsync(Server, "research-bot", ResearchBotSecret, "openid read:articles");
        var idToken = tokens["id_token"];
        Assert.That(idToken, Is.Not.Null);
        var (status, _, body) = await GetAsync("articles", idToken!);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body!["error_description"]!.GetValue<string>(), Does.Contain("typ must be 'at+jwt'"));
    }

    [Test]
    public async Task A_token_for_another_audience_is_refused()
    {
        var forTool = (await ExchangeAsync(AliceToken, _researchBot, scope: "search:web", audience: "search-tool")).AccessToken;
        var (status, _, body) = await GetAsync("articles", forTool);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body!["error_description"]!.GetValue<string>(), Does.Contain("not issued for this resource"));
    }

    /// <summary>Each forged token differs from a valid one in one claim, and is signed with the server's own key.</summary>
    [TestCase("expired beyond the skew", "it has expired")]
    [TestCase("not valid yet", "not valid yet")]
    [TestCase("another issuer", "issued by another server")]
    [TestCase("no expiry", "no expiry")]
    [TestCase("no subject", "no subject")]
    [TestCase("malformed act", "act claim is malformed")]
    [TestCase("act with exp inside", "act claim is malformed")]
    [TestCase("wrong typ", "typ must be 'at+jwt'")]
    [TestCase("unknown key", "names a key the token server does not publish")]
    [TestCase("algorithm not allowed", "algorithm 'ES512' is not accepted")]
    public async Task Forged_tokens_are_refused_naming_the_check(string variant, string description)
    {
        var (status, challenge, body) = await GetAsync("articles", Forge(variant));
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized), body?.ToJsonString());
            Assert.That(challenge, Does.Contain("error=\"invalid_token\""));
            Assert.That(body!["error_description"]!.GetValue<string>(), Does.Contain(description));
        });
    }

    [Test]
    public async Task The_same_forgery_without_its_flaw_is_accepted_so_each_refusal_is_the_named_check()
    {
        var (status, _, body) = await GetAsync("articles", Forge("valid"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        (status, _, body) = await GetAsync("articles", Forge("expired within the skew"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "20 seconds past exp is within the 30-second skew: " + body?.ToJsonString());
    }

    [Test]
    public async Task Tokens_naming_random_key_ids_do_not_make_the_api_hammer_the_token_server()
    {
        var cache = _api.Services.GetRequiredService<BearerSigningKeys>().For(LumoAgentsBearerDefaults.AuthenticationScheme);
        var before = cache.FetchCount;
        for (var i = 0; i < 20; i++)
        {
            var (status, _, _) = await GetAsync("articles", Forge("unknown key"));
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        Assert.That(cache.FetchCount - before, Is.LessThanOrEqualTo(1), "one refresh at most per 30-second window");
    }

    // ---- authorization (403)

    [Test]
    public async Task The_caller_is_exposed_as_typed_objects_and_in_words()
    {
        var (status, _, body) = await GetAsync("test/caller", _aliceViaSearchTool);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.Multiple(() =>
        {
            Assert.That(body!["subject"]!.GetValue<string>(), Is.EqualTo("user:alice"));
            Assert.That(body["current"]!.GetValue<string>(), Is.EqualTo("agent:search-tool"));
            Assert.That(body["chain"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(new[] { "agent:search-tool", "agent:research-bot" }));
            Assert.That(body["agentId"]!.GetValue<string>(), Is.EqualTo("search-tool"));
            Assert.That(body["words"]!.GetValue<string>(), Is.EqualTo("Search Tool, used by Research Bot, acting for Alice"));
        });
    }

    [Test]
    public async Task A_capability_met_and_unmet()
    {
        Assert.That((await GetAsync("articles", _researchBot)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertInsufficientScopeAsync("articles", _searchTool, "the capability 'read:articles'", scope: "read:articles");
    }

    [Test]
    public async Task Acting_for_a_user_met_and_unmet()
    {
        var (status, _, body) = await GetAsync("search?q=rfc", _aliceViaResearchBot);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["caller"]!["in_words"]!.GetValue<string>(), Is.EqualTo("Research Bot, acting for Alice"));
        await AssertInsufficientScopeAsync("search", _researchBot, "an agent acting for a user", scope: "search:web");
    }

    [Test]
    public async Task Chain_depth_met_and_exceeded()
    {
        Assert.That((await GetAsync("search/private", _aliceViaResearchBot)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertInsufficientScopeAsync("search/private", _aliceViaSearchTool, "an actor chain of at most 1 (this one has 2: Search Tool, used by Research Bot, acting for Alice)");
    }

    [Test]
    public async Task Tool_hop_allowed_and_not_allowed()
    {
        var (status, _, body) = await GetAsync("search", _aliceViaSearchTool);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["caller"]!["in_words"]!.GetValue<string>(), Is.EqualTo("Search Tool, used by Research Bot, acting for Alice"));

        // other-bot used by research-bot: a real signature, but research-bot's allowed tools do not include other-bot.
        await AssertInsufficientScopeAsync("search", Forge("valid", act: new JsonObject { ["sub"] = "agent:other-bot", ["act"] = new JsonObject { ["sub"] = "agent:research-bot" } }, sub: "user:alice", scope: "search:web"),
            "'other-bot' to be an allowed tool of 'research-bot'");
    }

    [Test]
    public async Task Allowed_actors_met_and_unmet()
    {
        Assert.That((await GetAsync("test/only-research-bot", _aliceViaResearchBot)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertInsufficientScopeAsync("test/only-research-bot", _aliceViaSearchTool, "'agent:search-tool' is not on it");
    }

    [Test]
    public async Task Forbidden_actors_met_and_unmet()
    {
        Assert.That((await GetAsync("test/no-search-tool", _aliceViaResearchBot)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertInsufficientScopeAsync("test/no-search-tool", _aliceViaSearchTool, "a chain without 'agent:search-tool'");
    }

    [Test]
    public async Task The_attribute_form_names_every_missing_requirement()
    {
        Assert.That((await GetAsync("test/attribute", _aliceViaResearchBot)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertInsufficientScopeAsync("test/attribute", _searchTool, "the capability 'read:articles'; and an agent acting for a user", scope: "search:web read:articles");
    }

    [Test]
    public async Task The_attribute_guards_a_controller_action_too()
    {
        var (status, _, body) = await GetAsync("test/controller/search", _aliceViaResearchBot);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["words"]!.GetValue<string>(), Is.EqualTo("Research Bot, acting for Alice"));
        await AssertInsufficientScopeAsync("test/controller/search", _aliceViaSearchTool, "an actor chain of at most 1");
        await AssertInsufficientScopeAsync("test/controller/search", _researchBot, "an agent acting for a user");
    }

    // ---- metering (429)

    [Test]
    public async Task Api_calls_are_metered_per_agent_per_hour_across_api_instances()
    {
        await using var second = await LibraryApiHost.StartAsync(Library);
        using var secondClient = second.Http();
        var token = await AgentTokenAsync("meter-bot");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { _apiClient, secondClient, _apiClient, secondClient })
        {
            using var response = await SendAsBearerAsync(client, "articles", token);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.That(response.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromHours(1)));
                var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                Assert.That(body["error"]!.GetValue<string>(), Is.EqualTo("temporarily_unavailable"));
                Assert.That(body["error_code"]!.GetValue<string>(), Is.EqualTo("budget_exhausted"));
                Assert.That(body["error_description"]!.GetValue<string>(), Does.Contain("API calls per hour budget (3)"));
            }
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        var refusals = await Server.AuditAsync(new AuditQuery { AgentId = "meter-bot", ReasonCode = "budget_exhausted", From = since });
        Assert.That(refusals, Has.Count.EqualTo(1), "the token server records the refused call");
    }

    [Test]
    public async Task Refused_calls_and_unmetered_endpoints_do_not_count()
    {
        await RegisterAsync("meter-bot-2", ["read:articles"], budget: new BudgetPolicy { MaxApiCallsPerHour = 1 });
        var token = await AgentTokenAsync("meter-bot-2");
        Assert.That((await GetAsync("search", token)).Status, Is.EqualTo(HttpStatusCode.Forbidden), "refused by policy before metering");
        Assert.That((await GetAsync("health", token)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await GetAsync("articles", token)).Status, Is.EqualTo(HttpStatusCode.OK), "the one allowed call is still there");
        Assert.That((await GetAsync("articles", token)).Status, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task A_first_request_that_is_not_metered_leaves_metering_working_for_the_next()
    {
        // The meter once was a singleton handed out by a scoped factory, so the first request's scope disposed it and
        // every later call that needed the reporter token failed with 503.
        await using var fresh = await LibraryApiHost.StartAsync(Library);
        using var client = fresh.Http();
        using (var health = await client.GetAsync(new Uri("health", UriKind.Relative)))
        {
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using var response = await SendAsBearerAsync(client, "articles", _researchBot);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task When_the_ledger_cannot_be_reached_calls_are_refused_not_let_through()
    {
        await using var misconfigured = await LibraryApiHost.StartAsync(Library, metering: o => o.ReporterClientSecret = "wrong-secret-0123456789abcdef");
        using var client = misconfigured.Http();
        using var response = await SendAsBearerAsync(client, "articles", _researchBot);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Headers.RetryAfter, Is.Not.Null);
    }

    [Test]
    public async Task A_usage_endpoint_that_answers_404_does_not_switch_budgets_off()
    {
        await using var wrongPath = await LibraryApiHost.StartAsync(Library,
            metering: o => o.UsageEndpoint = new Uri(Server.BaseAddress, "t/no-such-tenant/api/v1/agents/").AbsoluteUri + "{agentId}/usage");
        using var client = wrongPath.Http();
        using var response = await SendAsBearerAsync(client, "articles", _researchBot);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
    }

    [Test]
    public async Task A_token_for_several_audiences_is_refused_where_one_is_required()
    {
        var token = Forge("two audiences");
        Assert.That((await GetAsync("articles", token)).Status, Is.EqualTo(HttpStatusCode.OK), "accepted by default: one of its audiences is this API");
        await using var strict = await LibraryApiHost.StartAsync(Library, bearer: o => o.RequireSingleAudience = true);
        using var client = strict.Http();
        using var response = await SendAsBearerAsync(client, "articles", token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("more than one audience"));
        using var accepted = await SendAsBearerAsync(client, "articles", Forge("valid"));
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private async Task AssertInsufficientScopeAsync(string path, string token, string missing, string? scope = null)
    {
        var (status, challenge, body) = await GetAsync(path, token);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden), body?.ToJsonString());
            Assert.That(challenge, Does.StartWith("Bearer error=\"insufficient_scope\""));
            Assert.That(challenge, Does.Contain(missing.Replace('\'', '\'')));
            Assert.That(body!["error"]!.GetValue<string>(), Is.EqualTo("insufficient_scope"));
            Assert.That(body["error_description"]!.GetValue<string>(), Does.Contain(missing));
            if (scope is not null)
            {
                Assert.That(challenge, Does.Contain($"scope=\"{scope}\""));
            }
        });
    }

    /// <summary>A GET of <paramref name="path"/> with <paramref name="token"/> as its bearer token (sent as is, however malformed).</summary>
    private static async Task<HttpResponseMessage> SendAsBearerAsync(HttpClient client, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return await client.SendAsync(request);
    }

    private async Task<(HttpStatusCode Status, string Challenge, JsonNode? Body)> GetAsync(string path, string token)
    {
        using var response = await SendAsBearerAsync(_apiClient, path, token);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? body = null;
        if (text.StartsWith('{'))
        {
            body = JsonNode.Parse(text);
        }

        return (response.StatusCode, response.Headers.WwwAuthenticate.ToString(), body);
    }

    /// <summary>A token like the server's own, signed with its own key, differing in what <paramref name="variant"/> names.</summary>
    private string Forge(string variant, JsonObject? act = null, string sub = "agent:research-bot", string scope = "read:articles")
    {
        var real = new JsonWebToken(_researchBot);
        var serverKey = Library.Keys.Signing;
        var key = variant == "unknown key"
            ? new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)) { KeyId = "forged-" + Guid.NewGuid().ToString("N") }
            : new ECDsaSecurityKey(serverKey.ECDsa) { KeyId = real.Kid };
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["client_id"] = "research-bot", ["scope"] = scope, ["jti"] = Guid.NewGuid().ToString("N") };
        if (variant != "no subject")
        {
            claims["sub"] = sub;
        }

        if (act is not null)
        {
            claims["act"] = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(act.ToJsonString());
        }
        else if (variant == "malformed act")
        {
            claims["act"] = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>("{\"client_id\":\"research-bot\"}");
        }
        else if (variant == "act with exp inside")
        {
            claims["act"] = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>("{\"sub\":\"agent:research-bot\",\"exp\":1}");
        }

        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = variant == "wrong typ" ? "JWT" : "at+jwt",
            Issuer = variant == "another issuer" ? "https://elsewhere.example/" : Server.BaseAddress.AbsoluteUri,
            Audience = variant == "two audiences" ? null : "acme-corp-api",
            IssuedAt = now.AddMinutes(-2),
            NotBefore = variant == "not valid yet" ? now.AddMinutes(5) : now.AddMinutes(-2),
            Expires = variant switch
            {
                "expired beyond the skew" => now.AddSeconds(-61),
                "expired within the skew" => now.AddSeconds(-20),
                "not valid yet" => now.AddMinutes(10),
                _ => now.AddMinutes(5),
            },
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        };
        if (variant == "two audiences")
        {
            descriptor.Audiences.Add("acme-corp-api");
            descriptor.Audiences.Add("billing-api");
        }

        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = variant != "no expiry" };
        if (variant == "no expiry")
        {
            descriptor.Expires = null;
            descriptor.NotBefore = null;
            descriptor.IssuedAt = null;
        }

        var token = handler.CreateToken(descriptor);
        if (variant == "algorithm not allowed")
        {
            // ES512 with a P-521 key: a real signature in an algorithm this resource does not accept.
            var p521 = new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP521)) { KeyId = real.Kid };
            descriptor.SigningCredentials = new SigningCredentials(p521, SecurityAlgorithms.EcdsaSha512);
            token = handler.CreateToken(descriptor);
        }

        return token;
    }
}

/// <summary>A controller guarded by the attribute, as an API built on MVC would be.</summary>
[Microsoft.AspNetCore.Mvc.ApiController]
[Microsoft.AspNetCore.Mvc.Route("test/controller")]
public sealed class AgentGuardedController : Microsoft.AspNetCore.Mvc.ControllerBase
{
    [Microsoft.AspNetCore.Mvc.HttpGet("search")]
    [RequireAgent(Capabilities = "search:web", ActingForUser = true, MaxChainDepth = 1)]
    public object Search() => new { words = HttpContext.GetAgentCaller()!.Describe() };
}
