using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// Every endpoint called with no credentials at all. Anonymous access is exactly what is documented: the
/// token-exchange grant (the seed's pattern 3), and the browser pages that send a user to sign in. Everything else
/// refuses with its endpoint's error shape.
/// </summary>
public sealed class AnonymousAccessAttacks : AttackFixture
{
    private static readonly string[] Client = ["invalid_client", "invalid_request", "unauthorized_client"];

    private static HostileCase OAuth(string name, Func<AttackFixture, HttpRequestMessage> build) => new(name, build, Shape.OAuthError, [400, 401], Client);

    private static HostileCase Api(string name, Func<AttackFixture, HttpRequestMessage> build) =>
        new(name, build, Shape.Problem, [401], Also: a => Assert.That(a.Header("WWW-Authenticate"), Does.StartWith("Bearer"), $"RFC 6750 §3: {a.Summary}"));

    private static HostileCase SignInFirst(string name, string path) =>
        new(name, _ => Get(path), Shape.LocalPageOrRedirect, [302],
            Also: a => Assert.That(a.Header("Location"), Does.Contain("/account/login"), $"an anonymous visitor is sent to sign in: {a.Summary}"));

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var path in new[] { Tenant.TokenPath, Tenant.SeedTokenPath })
        {
            var p = path == Tenant.TokenPath ? "" : " (seed path)";
            yield return OAuth("anonymous client credentials naming an agent" + p, _ => Form(path, ("grant_type", "client_credentials"), ("client_id", Tenant.ResearchBot))).ToTestCase();
            yield return OAuth("anonymous client credentials naming no one" + p, _ => Form(path, ("grant_type", "client_credentials"))).ToTestCase();
            yield return OAuth("anonymous client credentials asking for agents:admin" + p, _ => Form(path, ("grant_type", "client_credentials"), ("client_id", Tenant.Admin), ("scope", "agents:admin"))).ToTestCase();
            yield return OAuth("anonymous authorization code redemption" + p, f => Form(path, ("grant_type", "authorization_code"), ("code", "made-up"), ("redirect_uri", f.Callback.AbsoluteUri), ("code_verifier", Filler(50)), ("client_id", Tenant.ResearchBot))).ToTestCase();
            yield return OAuth("anonymous refresh" + p, _ => Form(path, ("grant_type", "refresh_token"), ("refresh_token", "made-up"), ("client_id", Tenant.ResearchBot))).ToTestCase();
        }

        foreach (var path in new[] { Tenant.IntrospectionPath, Tenant.SeedIntrospectionPath })
        {
            var p = path == Tenant.IntrospectionPath ? "" : " (seed path)";
            yield return new HostileCase("anonymous introspection of an agent's token" + p, f => Form(path, ("token", f.ResearchBotToken)), Shape.OAuthError, [400, 401], Client,
                Also: a => Assert.That(a.Body, Does.Not.Contain("\"active\":true").And.Not.Contain("\"sub\""), $"RFC 7662 §2.1: an anonymous caller learns nothing: {a.Summary}")).ToTestCase();
            yield return new HostileCase("anonymous introspection of the admin's token" + p, f => Form(path, ("token", f.AdminToken)), Shape.OAuthError, [400, 401], Client,
                Also: a => Assert.That(a.Body, Does.Not.Contain("\"active\":true").And.Not.Contain("\"sub\""), $"RFC 7662 §2.1: an anonymous caller learns nothing: {a.Summary}")).ToTestCase();
        }

        yield return Api("anonymous admin list", _ => Get(Tenant.AgentsPath)).ToTestCase();
        yield return Api("anonymous admin get", _ => Get($"{Tenant.AgentsPath}/research-bot")).ToTestCase();
        yield return Api("anonymous registration", _ => Raw(Tenant.AgentsPath, """{"id":"anon-bot","display_name":"x","owner":"x","capabilities":["read:articles"]}""", "application/json")).ToTestCase();
        yield return Api("anonymous suspension", _ => WithHeader(Raw($"{Tenant.AgentsPath}/research-bot/suspend", "", "application/json"), "If-Match", "*")).ToTestCase();
        yield return Api("anonymous secret rotation", _ => Raw($"{Tenant.AgentsPath}/research-bot/secret", "", "application/json")).ToTestCase();
        yield return Api("anonymous budget read", _ => Get($"{Tenant.AgentsPath}/research-bot/budget")).ToTestCase();
        yield return Api("anonymous consent list", _ => Get($"{Tenant.AgentsPath}/research-bot/consents")).ToTestCase();
        yield return Api("anonymous usage report", _ => WithHeader(Raw(Tenant.UsagePath(Tenant.ResearchBot), """{"metric":"api_calls","amount":1}""", "application/json"), "Idempotency-Key", "anon-1")).ToTestCase();
        yield return Api("anonymous audit query", _ => Get(Tenant.AuditPath)).ToTestCase();
        yield return new HostileCase("anonymous AAuth agent-token request", _ => Raw(Tenant.AAuthTokenPath, """{"request_type":"agent","agent_id":"research-bot"}""", "application/json"),
            Shape.OAuthError, [401]).ToTestCase();
        yield return SignInFirst("anonymous consent page", "/account/consents").ToTestCase();
        yield return SignInFirst("anonymous admin pages", "/admin/agents").ToTestCase();
        yield return SignInFirst("anonymous admin audit page", "/admin/audit").ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test]
    public async Task Anonymous_token_exchange_is_not_refused_for_want_of_client_authentication()
    {
        // The one documented anonymous grant: the seed's pattern 3 sends no client credentials.
        var answer = await SendAsync(Form(Tenant.SeedTokenPath, ("grant_type", Tenant.TokenExchange), ("subject_token", SearchToolToken),
            ("subject_token_type", Tenant.AccessTokenType), ("actor_token", ResearchBotToken), ("actor_token_type", Tenant.AccessTokenType)), "anonymous exchange");
        Assert.That(answer.Json?["error"]?.GetValue<string>(), Is.Not.EqualTo("invalid_client"), answer.Summary);
        HostileAnswers.AssertNoLeak(answer, [.. Tenant.Secrets, ResearchBotToken, SearchToolToken]);
    }

    [Test]
    public async Task An_unsigned_call_to_the_AAuth_resource_is_challenged()
    {
        var answer = await SendAsync(With(Get("/sample-api/articles"), "Bearer " + ResearchBotToken), "resource with a bearer token");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Status, Is.EqualTo(401), answer.Summary);
            Assert.That(answer.Header("WWW-Authenticate"), Is.Not.Null.And.Not.Empty, $"RFC 9110 §15.5.2: a 401 carries WWW-Authenticate: {answer.Summary}");
            HostileAnswers.AssertNoLeak(answer, [.. Tenant.Secrets, ResearchBotToken]);
        }
    }
}
