using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// The admin, usage and audit APIs with a valid token and hostile input, and with tokens where they must not be
/// accepted: every refusal is an RFC 9457 problem, never a server error, an empty body or a trace.
/// </summary>
public sealed class AdminApiAttacks : AttackFixture
{
    private const string Agents = Tenant.AgentsPath;
    private const string Json = "application/json";
    private const string Registration = """{"id":"hostile-bot","display_name":"Hostile","owner":"tests","capabilities":["read:articles"]}""";

    private static HostileCase Problem(string name, Func<AttackFixture, HttpRequestMessage> build, params int[] statuses) =>
        new(name, build, Shape.Problem, statuses.Length == 0 ? [400] : statuses);

    private static HttpRequestMessage AsAdmin(AttackFixture f, HttpRequestMessage request) => With(request, "Bearer " + f.AdminToken);

    private static HttpRequestMessage AsReporter(AttackFixture f, HttpRequestMessage request, string? idempotencyKey = "key-1")
    {
        With(request, "Bearer " + f.UsageToken);
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return request;
    }

    private static HostileCase AdminGet(string name, string query, params int[] statuses) => Problem($"admin list with {name}", f => AsAdmin(f, Get($"{Agents}?{query}")), statuses);

    private static HostileCase Register(string name, string body, string? contentType = Json, params int[] statuses) =>
        Problem($"registration with {name}", f => AsAdmin(f, Raw(Agents, body, contentType)), statuses.Length == 0 ? [400] : statuses);

    private static HostileCase Usage(string name, string body, string? contentType = Json, string? key = "key-1", string agent = Tenant.SearchTool, params int[] statuses) =>
        Problem($"usage report with {name}", f => AsReporter(f, Raw(Tenant.UsagePath(agent), body, contentType), key), statuses.Length == 0 ? [400] : statuses);

    private static HostileCase Audit(string name, string query, params int[] statuses) => Problem($"audit query with {name}", f => AsAdmin(f, Get($"{Tenant.AuditPath}?{query}")), statuses);

    public static IEnumerable<TestCaseData> Cases()
    {
        // Tokens where the API must not take them (RFC 6750 §2.3, OAuth 2.1), and tokens without the scope.
        yield return Problem("admin list with the admin token in ?access_token=", f => Get($"{Agents}?access_token={f.AdminToken}"), 400).ToTestCase(); // access_token_not_in_header (RFC 6750 section 2.3)
        yield return Problem("admin registration with the admin token in ?access_token=", f => Raw($"{Agents}?access_token={f.AdminToken}", Registration, Json), 400).ToTestCase(); // access_token_not_in_header (RFC 6750 section 2.3)
        yield return Problem("audit query with the admin token in ?access_token=", f => Get($"{Tenant.AuditPath}?access_token={f.AdminToken}"), 400).ToTestCase(); // access_token_not_in_header (RFC 6750 section 2.3)
        yield return Problem("usage report with the reporter's token in ?access_token=", f => WithHeader(Raw($"{Tenant.UsagePath(Tenant.SearchTool)}?access_token={f.UsageToken}", """{"metric":"api_calls","amount":1}""", Json), "Idempotency-Key", "query-token-1"), 400).ToTestCase(); // access_token_not_in_header (RFC 6750 section 2.3)
        yield return Problem("admin list with the admin token as a form field", f => Raw(Agents, "access_token=" + f.AdminToken, "application/x-www-form-urlencoded", HttpMethod.Get), 400).ToTestCase(); // access_token_not_in_header (RFC 6750 section 2.3)
        yield return Problem("admin list with an agent's token", f => With(Get(Agents), "Bearer " + f.ResearchBotToken), 403).ToTestCase();
        yield return Problem("usage report with the admin's token", f => With(Raw(Tenant.UsagePath(Tenant.SearchTool), """{"metric":"api_calls","amount":1}""", Json), "Bearer " + f.AdminToken), 403).ToTestCase();
        yield return Problem("admin list with an empty bearer", _ => With(Get(Agents), "Bearer "), 401).ToTestCase();
        yield return Problem("admin list with two bearer tokens", f => With(Get(Agents), $"Bearer {f.ResearchBotToken} {f.AdminToken}"), 401).ToTestCase();
        yield return Problem("admin list with Basic client credentials", _ => Basic(Get(Agents), Tenant.Admin, Tenant.AdminSecret), 401).ToTestCase();
        yield return Problem("admin list with a bearer of 20,000 characters", _ => With(Get(Agents), "Bearer " + Filler(20_000)), 401).ToTestCase();
        yield return Problem("admin list with markup as a bearer", _ => With(Get(Agents), "Bearer " + HostileAnswers.Markup), 401).ToTestCase();

        // Query strings.
        yield return AdminGet("take=abc", "take=abc").ToTestCase();
        yield return AdminGet("skip=abc", "skip=abc").ToTestCase();
        yield return AdminGet("take beyond Int32", "take=99999999999999999999").ToTestCase();
        yield return AdminGet("take=-1", "take=-1").ToTestCase();
        yield return AdminGet("take=100000", "take=100000").ToTestCase();
        yield return AdminGet("take duplicated", "take=1&take=2").ToTestCase();
        yield return AdminGet("status=<script>", "status=" + Uri.EscapeDataString(HostileAnswers.Markup)).ToTestCase();
        yield return AdminGet("status=7 (a number)", "status=7").ToTestCase();
        yield return AdminGet("a NUL byte in status", "status=active%00").ToTestCase();

        // Paths.
        yield return Problem("admin get of an id with markup", f => AsAdmin(f, Get($"{Agents}/{Uri.EscapeDataString(HostileAnswers.Markup)}")), 404).ToTestCase();
        yield return new HostileCase("admin get of an id with a NUL byte", f => AsAdmin(f, Get($"{Agents}/research-bot%00")), Shape.WebServerRefusal, [400]).ToTestCase();
        yield return Problem("admin get of an id of 4,000 characters", f => AsAdmin(f, Get($"{Agents}/{Filler(4_000)}")), 404, 400).ToTestCase();
        yield return Problem("admin get of an id with an SQL quote", f => AsAdmin(f, Get($"{Agents}/{Uri.EscapeDataString("x' OR '1'='1")}")), 404).ToTestCase();
        yield return Problem("admin budget of an unknown agent", f => AsAdmin(f, Get($"{Agents}/{Uri.EscapeDataString("../../etc/passwd")}/budget")), 404).ToTestCase();

        // Registration bodies.
        yield return Register("malformed JSON", "{\"id\":").ToTestCase();
        yield return Register("JSON nested 10,000 deep", DeepJson(10_000)).ToTestCase();
        yield return Register("a budget nested 200 deep", DeepObject("budget", 200)).ToTestCase();
        yield return Register("a number as id", """{"id":5,"display_name":"x","owner":"x","capabilities":["read:articles"]}""").ToTestCase();
        yield return Register("a string as capabilities", """{"id":"hostile-bot","display_name":"x","owner":"x","capabilities":"read:articles"}""").ToTestCase();
        yield return Register("a string as can_act_for_users", """{"id":"hostile-bot","display_name":"x","owner":"x","capabilities":["read:articles"],"can_act_for_users":"yes"}""").ToTestCase();
        yield return Register("an array as budget", """{"id":"hostile-bot","display_name":"x","owner":"x","capabilities":["read:articles"],"budget":[]}""").ToTestCase();
        yield return Register("a redirect URI that is not a URI", """{"id":"hostile-bot","display_name":"x","owner":"x","capabilities":["read:articles"],"redirect_uris":["::not a uri::"]}""").ToTestCase();
        yield return Register("a symmetric signing key", """{"id":"hostile-bot","display_name":"x","owner":"x","capabilities":["read:articles"],"signing_keys":[{"kty":"oct","k":"c2VjcmV0"}]}""").ToTestCase();
        yield return Register("a JSON array", "[]").ToTestCase();
        yield return Register("JSON null", "null").ToTestCase();
        yield return Register("a JSON string", "\"hostile-bot\"").ToTestCase();
        yield return Register("id duplicated", """{"id":"hostile-bot","id":"research-bot","display_name":"x","owner":"x","capabilities":["read:articles"]}""").ToTestCase();
        yield return Register("a NUL byte in id", """{"id":"hostile\u0000bot","display_name":"x","owner":"x","capabilities":["read:articles"]}""").ToTestCase();
        yield return Register("markup as id", $$"""{"id":"{{HostileAnswers.Markup}}","display_name":"x","owner":"x","capabilities":["read:articles"]}""").ToTestCase();
        yield return Register("a body of 1.2 MB", $$"""{"id":"hostile-bot","display_name":"{{Filler(1_200_000)}}","owner":"x","capabilities":["read:articles"]}""", Json, 400, 413).ToTestCase();
        yield return Register("a text/plain body", Registration, "text/plain", 400, 415).ToTestCase();
        yield return Register("no Content-Type", Registration, null, 400, 415).ToTestCase();
        yield return Register("a form body", "id=hostile-bot&display_name=x", "application/x-www-form-urlencoded", 400, 415).ToTestCase();
        yield return Register("an empty body", "", Json).ToTestCase();

        // Updates.
        yield return Problem("update without If-Match", f => AsAdmin(f, Raw($"{Agents}/research-bot", """{"display_name":"x"}""", Json, HttpMethod.Patch)), 428).ToTestCase();
        yield return Problem("update with malformed JSON", f => WithHeader(AsAdmin(f, Raw($"{Agents}/research-bot", "{\"display_name\":", Json, HttpMethod.Patch)), "If-Match", "*"), 400).ToTestCase();
        yield return Problem("update of the read-only status field", f => WithHeader(AsAdmin(f, Raw($"{Agents}/research-bot", """{"status":"suspended"}""", Json, HttpMethod.Patch)), "If-Match", "*"), 400).ToTestCase();
        yield return Problem("update with an unknown field", f => WithHeader(AsAdmin(f, Raw($"{Agents}/research-bot", """{"is_admin":true}""", Json, HttpMethod.Patch)), "If-Match", "*"), 400).ToTestCase();
        foreach (var (name, body) in new[]
        {
            ("an approval rule for a capability the agent lacks", """{"approval_rules":[{"capability":"agents:admin","valid_for_seconds":0}]}"""),
            ("an approval rule lasting -1 seconds", """{"approval_rules":[{"capability":"read:articles","valid_for_seconds":-1}]}"""),
            ("an approval rule lasting ten days", """{"approval_rules":[{"capability":"read:articles","valid_for_seconds":864000}]}"""),
            ("two approval rules for one capability", """{"approval_rules":[{"capability":"read:articles","valid_for_seconds":0},{"capability":"read:articles","valid_for_seconds":60}]}"""),
            ("approval_rules as a string", """{"approval_rules":"write:articles"}"""),
            ("a null approval rule", """{"approval_rules":[null]}"""),
            ("a javascript: notification endpoint", """{"backchannel_notification_endpoint":"javascript:alert(1)"}"""),
            ("a plain-http notification endpoint off loopback", """{"backchannel_notification_endpoint":"http://attacker.example/notify"}"""),
            ("a number as notification endpoint", """{"backchannel_notification_endpoint":42}"""),
            ("require_sender_constrained_tokens as a string", """{"require_sender_constrained_tokens":"yes"}"""),
        })
        {
            yield return Problem($"update with {name}", f => WithHeader(AsAdmin(f, Raw($"{Agents}/research-bot", body, Json, HttpMethod.Patch)), "If-Match", "*"), 400).ToTestCase();
        }

        yield return Problem("update with a text/plain body", f => WithHeader(AsAdmin(f, Raw($"{Agents}/research-bot", """{"display_name":"x"}""", "text/plain", HttpMethod.Patch)), "If-Match", "*"), 400, 415).ToTestCase();
        yield return Problem("workload bindings with an object instead of an array", f => AsAdmin(f, Raw($"{Agents}/research-bot/workload-bindings", """{"issuer":"x"}""", Json, HttpMethod.Put)), 400).ToTestCase();

        // Usage reports.
        yield return Usage("malformed JSON", "{\"metric\":").ToTestCase();
        yield return Usage("JSON nested 10,000 deep", DeepJson(10_000)).ToTestCase();
        yield return Usage("a string as amount", """{"metric":"api_calls","amount":"abc"}""").ToTestCase();
        yield return Usage("an array as amount", """{"metric":"api_calls","amount":[1]}""").ToTestCase();
        yield return Usage("a negative amount", """{"metric":"api_calls","amount":-1}""").ToTestCase();
        yield return Usage("an amount beyond decimal", """{"metric":"api_calls","amount":1e400}""").ToTestCase();
        yield return Usage("a number as metric", """{"metric":5,"amount":1}""").ToTestCase();
        yield return Usage("markup as metric", $$"""{"metric":"{{HostileAnswers.Markup}}","amount":1}""").ToTestCase();
        yield return Usage("amount duplicated", """{"metric":"api_calls","amount":1,"amount":1000000}""").ToTestCase();
        yield return Usage("no Idempotency-Key", """{"metric":"api_calls","amount":1}""", Json, key: null).ToTestCase();
        yield return Usage("an Idempotency-Key of 300 characters", """{"metric":"api_calls","amount":1}""", Json, key: Filler(300)).ToTestCase();
        yield return Usage("a text/plain body", """{"metric":"api_calls","amount":1}""", "text/plain", statuses: [400, 415]).ToTestCase();
        yield return Usage("no Content-Type", """{"metric":"api_calls","amount":1}""", null, statuses: [400, 415]).ToTestCase();
        yield return Usage("a body of 1.2 MB", $$"""{"metric":"{{Filler(1_200_000)}}","amount":1}""", statuses: [400, 413]).ToTestCase();
        yield return Usage("markup as the agent id", """{"metric":"api_calls","amount":1}""", agent: Uri.EscapeDataString(HostileAnswers.Markup), statuses: [404, 400]).ToTestCase();
        yield return new HostileCase("usage report with a NUL byte in the agent id",
            f => AsReporter(f, Raw(Tenant.UsagePath("search-tool%00"), """{"metric":"api_calls","amount":1}""", Json), "key-1"), Shape.WebServerRefusal, [400]).ToTestCase();

        // Audit queries.
        yield return Audit("take=abc", "take=abc").ToTestCase();
        yield return Audit("skip=abc", "skip=abc").ToTestCase();
        yield return Audit("from=garbage", "from=garbage").ToTestCase();
        yield return Audit("to=garbage", "to=garbage").ToTestCase();
        yield return Audit("from in the year 99999", "from=99999-01-01T00:00:00Z").ToTestCase();
        yield return Audit("take=0", "take=0").ToTestCase();
        yield return Audit("take=100000", "take=100000").ToTestCase();
        yield return Audit("from after to", "from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z").ToTestCase();
        yield return Audit("markup as outcome", "outcome=" + Uri.EscapeDataString(HostileAnswers.Markup)).ToTestCase();
        yield return Audit("from duplicated", "from=2020-01-01T00:00:00Z&from=garbage").ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test]
    public async Task An_SQL_quote_in_an_audit_filter_is_only_a_filter()
    {
        var answer = await SendAsync(AsAdmin(this, Get($"{Tenant.AuditPath}?agent={Uri.EscapeDataString("x' OR '1'='1")}")), "audit SQL quote");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Status, Is.EqualTo(200), answer.Summary);
            Assert.That(answer.Json?["records"]?.AsArray(), Is.Empty, $"the quote matched records: {answer.Summary}");
            HostileAnswers.AssertNoLeak(answer, [.. Tenant.Secrets, AdminToken]);
        }
    }
}
