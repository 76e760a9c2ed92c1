using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Admin;

/// <summary>
/// Hostile and careless input to the admin and audit APIs over real HTTP, with the host in Development (where
/// minimal APIs throw on binding failures): every answer is an RFC 9457 problem with a stable code, audited, and
/// nothing changes.
/// </summary>
public abstract class AdminApiInputCases(DatabaseKind database) : AgentServerFixture(database)
{
    private const string Prefix = "/t/acme-corp/api/v1/agents";
    private const string AuditPath = "/t/acme-corp/api/v1/audit";
    private string _admin = null!;

    [OneTimeSetUp]
    public async Task GetAdminTokenAsync()
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        _admin = response.AccessToken;
    }

    private async Task<(HttpResponseMessage Response, JsonNode? Body)> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? token = null,
        string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        var bearer = token ?? _admin;
        if (bearer.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? body = null;
        if (text.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
                Assert.Fail($"{(int)response.StatusCode} with a body that is not JSON: {text[..Math.Min(text.Length, 400)]}");
            }
        }

        return (response, body);
    }

    private static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    private async Task<JsonObject> AgentAsync(string id) => (await SendAsync(HttpMethod.Get, $"{Prefix}/{id}")).Body!.AsObject();

    private async Task<string> RegisterAsync(string id)
    {
        var created = await SendAsync(HttpMethod.Post, Prefix, Json($$$"""{"id":"{{{id}}}","display_name":"Input {{{id}}}","owner":"input-tests","capabilities":["search:web"],"default_scopes":["search:web"],"budget":{"max_api_calls_per_hour":100}}"""));
        Assert.That(created.Response.StatusCode, Is.EqualTo(HttpStatusCode.Created), created.Body?.ToJsonString());
        return created.Response.Headers.ETag!.ToString();
    }

    private Task<IReadOnlyList<AuditRecord>> RefusalsAsync(string code, DateTimeOffset since) =>
        Server.AuditAsync(new AuditQuery { ReasonCode = code, Outcome = AuditOutcome.Refused, From = since });

    [TestCase("""{"id":"broken-bot",""")]
    [TestCase("""{"id":"broken-bot"}}""")]
    [TestCase("not json at all")]
    [TestCase("""["an","array"]""")]
    [TestCase("""{"id":"dup-bot","id":"dup-bot-2","display_name":"x","owner":"x","capabilities":["search:web"]}""")]
    [TestCase("""{"id":"deep-json","budget":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}""")]
    [TestCase("")]
    public async Task A_malformed_registration_body_is_a_problem_and_registers_nothing(string body)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (response, problem) = await SendAsync(HttpMethod.Post, Prefix, Json(body));
        ApiProblemAssert.IsProblem(response, problem, 400, "body_malformed");
        foreach (var id in new[] { "broken-bot", "dup-bot", "dup-bot-2", "deep-json" })
        {
            Assert.That((await SendAsync(HttpMethod.Get, $"{Prefix}/{id}")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        Assert.That(await RefusalsAsync("body_malformed", since), Is.Not.Empty, "bad input is audited");
    }

    [Test]
    public async Task Wrong_JSON_types_are_named_field_by_field_in_the_request_names()
    {
        var (response, body) = await SendAsync(HttpMethod.Post, Prefix, Json(
            """{"id":5,"display_name":["x"],"owner":"o","capabilities":["search:web",7],"max_chain_depth":"deep","can_act_for_users":"yes","budget":{"max_cost_per_month":"lots"},"access_token_lifetime_seconds":1.5}"""));
        var problem = ApiProblemAssert.IsProblem(response, body, 400, "registration_invalid");
        Assert.That(ApiProblemAssert.ErrorKeys(problem), Is.EquivalentTo(new[]
        {
            "id", "display_name", "capabilities[1]", "max_chain_depth", "can_act_for_users", "budget.max_cost_per_month", "access_token_lifetime_seconds",
        }));
        Assert.That((string?)problem["errors"]!["max_chain_depth"]![0], Is.EqualTo("'max_chain_depth' must be a whole number."));
    }

    [TestCase("text/plain")]
    [TestCase("application/x-www-form-urlencoded")]
    [TestCase(null)]
    public async Task A_body_that_is_not_sent_as_JSON_is_415_and_registers_nothing(string? mediaType)
    {
        var json = """{"id":"textual-bot","display_name":"Textual","owner":"x","capabilities":["search:web"]}""";
        HttpContent content = mediaType is null ? new ByteArrayContent(Encoding.UTF8.GetBytes(json)) : new StringContent(json, Encoding.UTF8, mediaType);
        var (response, body) = await SendAsync(HttpMethod.Post, Prefix, content);
        ApiProblemAssert.IsProblem(response, body, 415, "content_type_unsupported");
        Assert.That((await SendAsync(HttpMethod.Get, $"{Prefix}/textual-bot")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task An_oversized_body_is_413_whether_or_not_it_declares_its_length()
    {
        var huge = "{\"id\":\"huge-bot\",\"display_name\":\"" + new string('x', 200_000) + "\"}";
        var (declared, declaredBody) = await SendAsync(HttpMethod.Post, Prefix, Json(huge));
        ApiProblemAssert.IsProblem(declared, declaredBody, 413, "body_too_large");

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Prefix, UriKind.Relative)) { Content = chunked };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _admin);
        request.Headers.TransferEncodingChunked = true;
        using var response = await Client.SendAsync(request);
        ApiProblemAssert.IsProblem(response, JsonNode.Parse(await response.Content.ReadAsStringAsync()), 413, "body_too_large");
        Assert.That((await SendAsync(HttpMethod.Get, $"{Prefix}/huge-bot")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task NUL_bytes_and_control_characters_in_values_are_refused_before_any_store_sees_them()
    {
        var (response, body) = await SendAsync(HttpMethod.Post, Prefix, Json(
            """{"id":"nul-bot","display_name":"a\u0000b","owner":"x\u0007y","capabilities":["search:web\u001b"],"default_scopes":["search:web"]}"""));
        var problem = ApiProblemAssert.IsProblem(response, body, 400, "registration_invalid");
        Assert.That(ApiProblemAssert.ErrorKeys(problem), Is.EquivalentTo(new[] { "display_name", "owner", "capabilities[0]" }));
        Assert.That((await SendAsync(HttpMethod.Get, $"{Prefix}/nul-bot")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var list = await SendAsync(HttpMethod.Get, $"{Prefix}?owner=a%00b");
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(list.Response, list.Body, 400, "query_invalid")), Is.EquivalentTo(new[] { "owner" }));

        var path = await SendAsync(HttpMethod.Get, $"{Prefix}/bad%00id");
        Assert.That((int)path.Response.StatusCode, Is.EqualTo(400), path.Body?.ToJsonString());
        if (path.Body is not null)
        {
            ApiProblemAssert.IsProblem(path.Response, path.Body, 400, "query_invalid");
        }

        var audit = await SendAsync(HttpMethod.Get, $"{AuditPath}?agent=%01x");
        ApiProblemAssert.IsProblem(audit.Response, audit.Body, 400, "query_invalid");
        Assert.That((await SendAsync(HttpMethod.Get, Prefix)).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the host still serves");
    }

    [TestCase("?take=abc", new[] { "take" })]
    [TestCase("?skip=x&take=1", new[] { "skip" })]
    [TestCase("?take=1&take=2", new[] { "take" })]
    [TestCase("?take=99999999999999999999&skip=-1", new[] { "take", "skip" })]
    [TestCase("?status=1", new[] { "status" })]
    public async Task A_malformed_list_query_names_each_parameter(string query, string[] fields)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (response, body) = await SendAsync(HttpMethod.Get, Prefix + query);
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(response, body, 400, "query_invalid")), Is.EquivalentTo(fields));
        Assert.That(await RefusalsAsync("query_invalid", since), Is.Not.Empty, "bad input is audited");
    }

    [TestCase("?from=garbage", new[] { "from" })]
    [TestCase("?to=tomorrow&take=abc", new[] { "to", "take" })]
    [TestCase("?skip=x", new[] { "skip" })]
    [TestCase("?from=2026-12-01T00:00:00Z&to=2026-11-01", new[] { "to" })]
    public async Task A_malformed_audit_query_names_each_parameter(string query, string[] fields)
    {
        var (response, body) = await SendAsync(HttpMethod.Get, AuditPath + query);
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(response, body, 400, "query_invalid")), Is.EquivalentTo(fields));
    }

    [Test]
    public async Task A_malformed_consents_query_is_a_problem()
    {
        var (response, body) = await SendAsync(HttpMethod.Get, $"{Prefix}/research-bot/consents?take=abc");
        ApiProblemAssert.IsProblem(response, body, 400, "query_invalid");
    }

    [Test]
    public async Task An_update_with_read_only_or_unknown_fields_names_each_and_changes_nothing()
    {
        var etag = await RegisterAsync("readonly-bot");
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var (response, body) = await SendAsync(HttpMethod.Patch, $"{Prefix}/readonly-bot",
            Json("""{"status":"suspended","id":"renamed-bot","client_secret":"chosen-secret-0123456789","colour":"blue","owner":"sneaky"}"""), ifMatch: etag);
        var problem = ApiProblemAssert.IsProblem(response, body, 400, "fields_not_allowed");
        Assert.That(ApiProblemAssert.ErrorKeys(problem), Is.EquivalentTo(new[] { "status", "id", "client_secret", "colour" }));
        Assert.That((string?)problem["errors"]!["status"]![0], Does.Contain("/suspend"));
        Assert.That((string?)problem["detail"], Does.Contain("status").And.Contain("colour"));

        var agent = await AgentAsync("readonly-bot");
        Assert.That((string?)agent["status"], Is.EqualTo("active"));
        Assert.That((string?)agent["owner"], Is.EqualTo("input-tests"), "the allowed fields beside them are not applied either");
        Assert.That((await SendAsync(HttpMethod.Get, $"{Prefix}/readonly-bot")).Response.Headers.ETag!.ToString(), Is.EqualTo(etag), "nothing was written");
        Assert.That(await RefusalsAsync("fields_not_allowed", since), Is.Not.Empty);

        var nested = await SendAsync(HttpMethod.Patch, $"{Prefix}/readonly-bot", Json("""{"budget":{"MaxApiCallsPerHour":1}}"""), ifMatch: etag);
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(nested.Response, nested.Body, 400, "fields_not_allowed")), Is.EquivalentTo(new[] { "budget.MaxApiCallsPerHour" }));
    }

    [Test]
    public async Task A_registration_with_a_status_is_refused_rather_than_ignored()
    {
        var (response, body) = await SendAsync(HttpMethod.Post, Prefix, Json(
            """{"id":"status-set-bot","display_name":"x","owner":"x","capabilities":["search:web"],"status":"suspended"}"""));
        Assert.That(ApiProblemAssert.ErrorKeys(ApiProblemAssert.IsProblem(response, body, 400, "fields_not_allowed")), Is.EquivalentTo(new[] { "status" }));
        Assert.That((await SendAsync(HttpMethod.Get, $"{Prefix}/status-set-bot")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase("research-bot")]
    [TestCase("acme-admin")]
    public async Task Registering_an_existing_id_is_409_audited_and_changes_nothing(string id)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var before = id == "research-bot" ? (await AgentAsync(id)).ToJsonString() : null;
        var (response, body) = await SendAsync(HttpMethod.Post, Prefix, Json(
            $$"""{"id":"{{id}}","display_name":"Impostor","owner":"x","capabilities":["search:web"],"default_scopes":["search:web"]}"""));
        var problem = ApiProblemAssert.IsProblem(response, body, 409, "agent_exists");
        Assert.That((string?)problem["detail"], Does.Contain(id));
        Assert.That(problem["client_secret"], Is.Null);
        if (before is not null)
        {
            Assert.That((await AgentAsync(id)).ToJsonString(), Is.EqualTo(before));
            Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, id, ResearchBotSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "its secret still works");
        }

        var records = await RefusalsAsync("agent_exists", since);
        Assert.That(records.Select(r => r.AgentId), Does.Contain(id));
    }

    [Test]
    public async Task An_access_token_in_the_query_is_refused_even_beside_a_valid_header()
    {
        foreach (var (path, token) in new[] { ($"{Prefix}?access_token={_admin}", _admin), ($"{Prefix}?access_token={_admin}", ""), ($"{AuditPath}?access_token={_admin}", "") })
        {
            var (response, body) = await SendAsync(HttpMethod.Get, path, token: token);
            var problem = ApiProblemAssert.IsProblem(response, body, 400, "access_token_not_in_header");
            Assert.That((string?)problem["detail"], Does.Contain("RFC 6750 §2.3").And.Contain("OAuth 2.1"));
            Assert.That(ApiProblemAssert.ErrorKeys(problem), Is.EquivalentTo(new[] { "access_token" }));
            Assert.That(body!.ToJsonString(), Does.Not.Contain(_admin), "the token is never echoed");
        }
    }

    [Test]
    public async Task An_access_token_in_a_form_body_is_refused_and_rotates_nothing()
    {
        await RegisterAsync("form-token-bot");
        var before = (await AgentAsync("form-token-bot")).ToJsonString();
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("access_token", _admin)]);
        var (response, body) = await SendAsync(HttpMethod.Post, $"{Prefix}/form-token-bot/secret", form, token: "");
        ApiProblemAssert.IsProblem(response, body, 400, "access_token_not_in_header");
        Assert.That(body!["client_secret"], Is.Null);
        Assert.That((await AgentAsync("form-token-bot")).ToJsonString(), Is.EqualTo(before));
    }

    [Test]
    public async Task A_bad_or_foreign_bearer_token_gets_an_invalid_token_challenge_and_no_token_a_bare_one()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var foreign = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Server.BaseAddress.ToString(),
            Audience = "acme-corp-api",
            Claims = new Dictionary<string, object> { ["sub"] = "acme-admin", ["client_id"] = "acme-admin", ["scope"] = "agents:admin" },
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = "foreign" }, SecurityAlgorithms.EcdsaSha256),
        });
        foreach (var token in new[] { "garbage", foreign, _admin[..^4] + "AAAA" })
        {
            var (response, body) = await SendAsync(HttpMethod.Get, Prefix, token: token);
            ApiProblemAssert.IsProblem(response, body, 401, "access_token_invalid");
            var challenge = response.Headers.WwwAuthenticate.ToString();
            Assert.That(challenge, Does.StartWith("Bearer error=\"invalid_token\", error_description=\""), "RFC 6750 §3");
        }

        foreach (var path in new[] { Prefix, AuditPath })
        {
            var (none, noneBody) = await SendAsync(HttpMethod.Get, path, token: "");
            ApiProblemAssert.IsProblem(none, noneBody, 401, "authentication_required");
            Assert.That(none.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        }
    }

    [Test]
    public async Task Agent_objects_and_budgets_use_snake_case_names_and_a_labelled_cost()
    {
        var created = await SendAsync(HttpMethod.Post, Prefix, Json(
            """{"id":"snake-bot","display_name":"Snake","owner":"x","capabilities":["search:web"],"budget":{"max_llm_tokens_per_day":5000,"max_api_calls_per_hour":7,"max_cost_per_month":12.5}}"""));
        Assert.That(created.Response.StatusCode, Is.EqualTo(HttpStatusCode.Created), created.Body?.ToJsonString());
        var budget = created.Body!["agent"]!["budget"]!.AsObject();
        Assert.That(budget.Select(p => p.Key), Is.EquivalentTo(new[] { "max_llm_tokens_per_day", "max_api_calls_per_hour", "max_cost_per_month" }));
        Assert.That((decimal)budget["max_cost_per_month"]!, Is.EqualTo(12.5m));

        var status = (await SendAsync(HttpMethod.Get, $"{Prefix}/snake-bot/budget")).Body!["budgets"]!.AsArray();
        var cost = status.Single(b => (string?)b!["metric"] == "cost")!;
        Assert.That((string?)cost["unit"], Is.EqualTo("currency"));
        Assert.That((decimal)cost["limit"]!, Is.EqualTo(12.5m), "in currency units, not ten-thousandths");
        Assert.That((string?)status.Single(b => (string?)b!["metric"] == "llm_tokens")!["unit"], Is.EqualTo("tokens"));
    }
}

/// <summary>The cases with the host in Development, where minimal APIs would throw on binding failures.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class AdminApiInputTests(DatabaseKind database) : AdminApiInputCases(database);

/// <summary>The same hostile input with the host in Production: the answers do not depend on the environment.</summary>
[TestFixture(DatabaseKind.Sqlite)]
public class AdminApiInputInProductionTests(DatabaseKind database) : AdminApiInputCases(database)
{
    protected override string? Environment => "Production";

    [Test]
    public async Task The_host_really_runs_in_Production() =>
        Assert.That(await Server.WithServiceAsync<string, Microsoft.AspNetCore.Hosting.IWebHostEnvironment>(env => Task.FromResult(env.EnvironmentName)), Is.EqualTo("Production"));
}
