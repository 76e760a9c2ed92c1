using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// Human approval (OpenID CIBA) from outside, against the sample host as its own process in Production: the backchannel
/// authentication endpoint with missing, forged, malformed, duplicated and oversized input; the CIBA grant with forged
/// and unknown <c>auth_req_id</c>s; and the user's approval page without a session or form token. Every answer is the
/// standard error shape and leaks nothing; a well-formed request still gets its <c>auth_req_id</c> and polls pending.
/// </summary>
public sealed class ApprovalAttacks : AttackFixture
{
    private const string Backchannel = "/connect/ciba";
    private const string CibaGrant = "urn:openid:params:grant-type:ciba";
    private const string Details = """[{"type":"publish_article","actions":["publish"]}]""";
    private const string UnsignedJwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmFsaWNlIn0.";

    private static (string, string)[] Valid(params (string Name, string? Value)[] changes)
    {
        var fields = new List<(string Name, string? Value)>
        {
            ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret), ("login_hint", Tenant.AliceUser),
            ("binding_message", "Publish the summary"), ("authorization_details", Details),
        };
        foreach (var change in changes)
        {
            fields.RemoveAll(f => f.Name == change.Name);
            fields.Add(change);
        }

        return [.. fields.Where(f => f.Value is not null).Select(f => (f.Name, f.Value!))];
    }

    private static HostileCase Ask(string name, Func<HttpRequestMessage> build, int[] statuses, params string[] errors) =>
        new($"backchannel: {name}", _ => build(), Shape.OAuthError, statuses, errors);

    private static HostileCase Ask(string name, (string, string)[] fields, int[] statuses, params string[] errors) =>
        Ask(name, () => Form(Backchannel, fields), statuses, errors);

    private static HostileCase Redeem(string name, params (string, string)[] fields) =>
        new($"CIBA grant: {name}", _ => Form(Tenant.TokenPath, [("grant_type", CibaGrant), .. fields]), Shape.OAuthError, [400, 401],
            ["invalid_request", "invalid_grant", "invalid_client", "unauthorized_client"]);

    public static IEnumerable<TestCaseData> Cases()
    {
        int[] bad = [400];
        int[] unauthenticated = [401];
        yield return Ask("no client authentication", Valid(("client_secret", null)), unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("a wrong secret", Valid(("client_secret", "guess-" + Filler(40))), unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("an unknown client", Valid(("client_id", "nobody"), ("client_secret", Filler(40))), unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("Basic credentials that are not base64", () => With(Form(Backchannel, Valid(("client_id", null), ("client_secret", null))), "Basic !!!not-base64!!!"),
            unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("Basic credentials without a colon", () => With(Form(Backchannel, Valid(("client_id", null), ("client_secret", null))),
            "Basic " + Convert.ToBase64String("research-bot"u8.ToArray())), unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("Basic and a secret in the body", () => Basic(Form(Backchannel, Valid()), Tenant.ResearchBot, Tenant.ResearchBotSecret),
            unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("a forged client assertion", Valid(("client_secret", null), ("client_assertion", UnsignedJwt), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")),
            unauthenticated, "invalid_client").ToTestCase();
        yield return Ask("an agent that may not act for users", Valid(("client_id", Tenant.SearchTool), ("client_secret", Tenant.SearchToolSecret), ("authorization_details", null), ("scope", "search:web")),
            [403], "unauthorized_client").ToTestCase();
        yield return Ask("a body of 20,000 bytes", Valid(("binding_message", Filler(20_000))), [400, 413], "invalid_request").ToTestCase();
        yield return Ask("a JSON body", () => Raw(Backchannel, """{"login_hint":"alice"}""", "application/json"), bad, "invalid_request").ToTestCase();
        yield return Ask("no content type", () => Raw(Backchannel, "login_hint=alice", null), bad, "invalid_request").ToTestCase();
        yield return Ask("1,000 fields", ManyFields(1000, Valid()), bad, "invalid_request").ToTestCase();
        yield return Ask("login_hint twice", [.. Valid(), ("login_hint", "bob")], bad, "invalid_request").ToTestCase();
        yield return Ask("no login_hint", Valid(("login_hint", null)), bad, "invalid_request").ToTestCase();
        yield return Ask("a forged id_token_hint", Valid(("login_hint", null), ("id_token_hint", UnsignedJwt)), bad, "invalid_request").ToTestCase();
        yield return Ask("markup as login_hint", Valid(("login_hint", HostileAnswers.Markup)), bad, "unknown_user_id").ToTestCase();
        yield return Ask("a NUL in login_hint", Valid(("login_hint", "alice\0")), bad, "invalid_request", "unknown_user_id").ToTestCase();
        yield return Ask("SQL as login_hint", Valid(("login_hint", "alice' OR '1'='1")), bad, "unknown_user_id").ToTestCase();
        yield return Ask("a login_hint of 5,000 characters", Valid(("login_hint", Filler(5_000))), bad, "invalid_request").ToTestCase();
        yield return Ask("no binding_message", Valid(("binding_message", null)), bad, "invalid_binding_message").ToTestCase();
        yield return Ask("a binding_message of 1,000 characters", Valid(("binding_message", Filler(1_000))), bad, "invalid_binding_message").ToTestCase();
        yield return Ask("markup and a line break in binding_message", Valid(("binding_message", HostileAnswers.Markup + "\r\nSet-Cookie: x=1")), bad, "invalid_binding_message").ToTestCase();
        yield return Ask("authorization_details 2,000 arrays deep", Valid(("authorization_details", DeepJson(2_000))), bad, "invalid_authorization_details").ToTestCase();
        yield return Ask("authorization_details of 5,000 bytes", Valid(("authorization_details", "[" + string.Join(',', Enumerable.Repeat(Details[1..^1], 100)) + "]")), bad, "invalid_authorization_details").ToTestCase();
        yield return Ask("an authorization detail type of markup", Valid(("authorization_details", $$"""[{"type":"{{HostileAnswers.Markup}}"}]""")), bad, "invalid_authorization_details").ToTestCase();
        yield return Ask("an authorization detail with a duplicated member", Valid(("authorization_details", """[{"type":"publish_article","type":"publish_article"}]""")), bad, "invalid_authorization_details").ToTestCase();
        yield return Ask("an authorization detail at another location", Valid(("authorization_details", """[{"type":"publish_article","locations":["https://attacker.example/"]}]""")), bad, "invalid_authorization_details").ToTestCase();
        yield return Ask("a scope beyond the agent's capabilities", Valid(("scope", "agents:admin")), bad, "invalid_scope").ToTestCase();
        yield return Ask("a requested_expiry of 20 digits", Valid(("requested_expiry", "99999999999999999999")), bad, "invalid_request").ToTestCase();
        yield return Ask("a client_notification_token from a polling agent", Valid(("client_notification_token", Filler(30))), bad, "invalid_request").ToTestCase();
        yield return Ask("a user_code", Valid(("user_code", "1234")), bad, "invalid_request").ToTestCase();

        yield return Redeem("no auth_req_id", ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret)).ToTestCase();
        yield return Redeem("an unknown auth_req_id", ("auth_req_id", Filler(43)), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret)).ToTestCase();
        yield return Redeem("an auth_req_id of 10,000 characters", ("auth_req_id", Filler(10_000)), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret)).ToTestCase();
        yield return Redeem("markup as auth_req_id", ("auth_req_id", HostileAnswers.Markup), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret)).ToTestCase();
        yield return Redeem("auth_req_id twice", ("auth_req_id", "a"), ("auth_req_id", "b"), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret)).ToTestCase();
        yield return Redeem("no client authentication", ("auth_req_id", Filler(43)), ("client_id", Tenant.ResearchBot)).ToTestCase();
        yield return Redeem("a wrong secret", ("auth_req_id", Filler(43)), ("client_id", Tenant.ResearchBot), ("client_secret", "guess-" + Filler(40))).ToTestCase();

        yield return new HostileCase("approvals page: approve without a session or form token", _ => Form($"/account/approvals/{Filler(64, 'a')}/approve", ("x", "1")),
            Shape.Problem, [400]).ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test]
    public async Task A_well_formed_request_gets_its_auth_req_id_and_polls_pending()
    {
        var started = await SendAsync(Form(Backchannel, Valid(("binding_message", "A well-formed request"))), "a well-formed backchannel request");
        Assert.That(started.Status, Is.EqualTo(200), started.Summary);
        var id = started.Json?["auth_req_id"]?.GetValue<string>();
        Assert.That(id, Has.Length.GreaterThanOrEqualTo(43), "at least 256 bits, base64url");
        Assert.That(started.Json?["expires_in"]?.GetValue<long>(), Is.GreaterThan(0));
        Assert.That(started.Json?["interval"]?.GetValue<int>(), Is.GreaterThan(0));
        var poll = await SendAsync(Form(Tenant.TokenPath, ("grant_type", CibaGrant), ("auth_req_id", id!), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ResearchBotSecret)), "a poll");
        Assert.That(poll.Json?["error"]?.GetValue<string>(), Is.EqualTo("authorization_pending"), poll.Summary);

        // Another agent holding the id learns nothing of it.
        var stolen = await SendAsync(Form(Tenant.TokenPath, ("grant_type", CibaGrant), ("auth_req_id", id!), ("client_id", Tenant.SearchTool), ("client_secret", Tenant.SearchToolSecret)), "a stolen id");
        Assert.That(stolen.Json?["error"]?.GetValue<string>(), Is.EqualTo("invalid_grant"), stolen.Summary);
    }
}
