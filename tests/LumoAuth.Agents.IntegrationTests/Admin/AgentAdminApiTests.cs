using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Authorization;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;
using LumoAuth.Agents.IntegrationTests.Workload;

namespace LumoAuth.Agents.IntegrationTests.Admin;

/// <summary>The registry's admin API over real HTTP: authorization, registration, concurrency, status changes.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class AgentAdminApiTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const string Prefix = "/t/acme-corp/api/v1/agents";
    private const string K8sUid = "4d2b9a70-5c1e-4f3a-8b6d-0e9f8a7b6c5d";
    private readonly Dictionary<string, string?> _settings = new();
    private TestIssuer _cluster = null!;
    private string _admin = null!;

    protected override IDictionary<string, string?>? Settings => _settings;

    /// <summary>A Kubernetes cluster the host trusts (named "kubernetes"), so workload bindings can name it and its tokens log in.</summary>
    protected override async Task BeforeServerStartsAsync()
    {
        _cluster = await TestIssuer.StartAsync();
        _cluster.Add("kubernetes");
        _cluster.TrustAsKubernetes(_settings, "kubernetes", WorkloadServerFixture.Audience);
    }

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [OneTimeSetUp]
    public async Task GetAdminTokenAsync()
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        _admin = response.AccessToken;
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null, string? token = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Prefix + path, UriKind.Relative));
        var bearer = token ?? _admin;
        if (bearer.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        request.Content = body is null ? null : JsonContent.Create(body);
        var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, string.IsNullOrEmpty(text) ? null : JsonNode.Parse(text), response);
    }

    private static object Registration(string id) => new
    {
        id,
        display_name = "Admin API " + id,
        owner = "api-tests",
        capabilities = new[] { "search:web", "read:articles" },
        default_scopes = new[] { "search:web" },
        budget = new { max_api_calls_per_hour = 100 },
    };

    [Test]
    [TestCase("agents:admin")]
    [TestCase("agents:usage")]
    public async Task Each_API_scope_is_a_registered_authorization_policy_that_requires_a_token_of_this_server_with_the_scope(string scope)
    {
        var policy = await Server.WithServiceAsync<AuthorizationPolicy?, IAuthorizationPolicyProvider>(provider => provider.GetPolicyAsync(scope));
        Assert.That(policy, Is.Not.Null, "registered by UseLumoAgents()");
        Assert.That(policy!.AuthenticationSchemes, Is.EqualTo(new[] { OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme }));

        Task<bool> AllowsAsync(ClaimsPrincipal caller) =>
            Server.WithServiceAsync<bool, IAuthorizationService>(async service => (await service.AuthorizeAsync(caller, scope)).Succeeded);
        static ClaimsPrincipal Caller(string? authenticationType, params string[] scopes) =>
            new ClaimsPrincipal(new ClaimsIdentity(authenticationType)).SetScopes(scopes);
        Assert.That(await AllowsAsync(Caller("Bearer", "read:articles", scope)), Is.True);
        Assert.That(await AllowsAsync(Caller("Bearer", "read:articles")), Is.False, "another scope");
        Assert.That(await AllowsAsync(Caller(null, scope)), Is.False, "not authenticated");
    }

    [Test]
    public async Task Without_a_token_the_API_asks_for_one()
    {
        var response = await SendAsync(HttpMethod.Get, "/", token: "");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"), "no token, no error attribute (RFC 6750 §3.1)");
        ApiProblemAssert.IsProblem(response.Response, response.Body, 401, "authentication_required");
    }

    [Test]
    public async Task An_agent_token_without_the_admin_scope_is_forbidden()
    {
        var response = await SendAsync(HttpMethod.Get, "/", token: await AgentTokenAsync("research-bot"));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Response.Headers.WwwAuthenticate.ToString(), Does.Contain("insufficient_scope"));
    }

    [Test]
    public async Task A_registered_agent_gets_a_secret_shown_once_that_works()
    {
        var created = await SendAsync(HttpMethod.Post, "/", Registration("api-made-bot"));
        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.Body?.ToJsonString());
        Assert.That(created.Response.Headers.Location?.OriginalString, Does.EndWith("/agents/api-made-bot"));
        Assert.That(created.Response.Headers.ETag, Is.Not.Null);
        var secret = (string)created.Body!["client_secret"]!;
        Assert.That(secret, Has.Length.GreaterThanOrEqualTo(32));

        var token = await TokenEndpoint.ClientCredentialsAsync(Client, "api-made-bot", secret);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());

        var read = await SendAsync(HttpMethod.Get, "/api-made-bot");
        Assert.That(read.Body!.ToJsonString(), Does.Not.Contain(secret), "the secret is never shown again");
        Assert.That((string)read.Body!["status"]!, Is.EqualTo("active"));
        Assert.That(await Server.AuditAsync(new AuditQuery { AgentId = "api-made-bot", Outcome = AuditOutcome.Changed }), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_bad_registration_names_every_bad_field_and_writes_nothing()
    {
        var response = await SendAsync(HttpMethod.Post, "/", new { id = "Bad Id", capabilities = new[] { "ok", "bad scope" }, access_token_lifetime_seconds = 7200 });
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var fields = response.Body!["errors"]!.AsObject().Select(e => e.Key.Split('[')[0]).ToHashSet();
        Assert.That(fields, Is.SupersetOf(new[] { "id", "display_name", "owner", "capabilities", "access_token_lifetime_seconds" }), "errors are keyed by the request's field names");
        Assert.That((string?)response.Body!["error_code"], Is.EqualTo("registration_invalid"));
        Assert.That((await SendAsync(HttpMethod.Get, "/Bad Id")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await Server.AuditAsync(new AuditQuery { ReasonCode = "registration_invalid" }), Is.Not.Empty);
    }

    [Test]
    public async Task The_list_pages_and_filters()
    {
        await SendAsync(HttpMethod.Post, "/", Registration("list-a"));
        await SendAsync(HttpMethod.Post, "/", Registration("list-b"));
        var byOwner = await SendAsync(HttpMethod.Get, "/?owner=api-tests&capability=read:articles&take=100");
        var ids = byOwner.Body!["agents"]!.AsArray().Select(a => (string)a!["id"]!).ToList();
        Assert.That(ids, Is.SupersetOf(new[] { "list-a", "list-b" }));
        Assert.That(ids, Does.Not.Contain("research-bot"));
        var page = await SendAsync(HttpMethod.Get, "/?owner=api-tests&take=1&skip=1");
        Assert.That(page.Body!["agents"]!.AsArray(), Has.Count.EqualTo(1));
        var bad = await SendAsync(HttpMethod.Get, "/?status=sleeping&take=500");
        Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bad.Body!["errors"]!.AsObject().Select(e => e.Key), Is.EquivalentTo(new[] { "status", "take" }));
    }

    [Test]
    public async Task Status_changes_need_a_current_ETag_and_stop_tokens_at_once()
    {
        await SendAsync(HttpMethod.Post, "/", Registration("status-api-bot"));
        var read = await SendAsync(HttpMethod.Get, "/status-api-bot");
        var etag = read.Response.Headers.ETag!.ToString();

        Assert.That((int)(await SendAsync(HttpMethod.Post, "/status-api-bot/suspend")).Status, Is.EqualTo(428));
        Assert.That((await SendAsync(HttpMethod.Post, "/status-api-bot/suspend", ifMatch: "\"stale\"")).Status, Is.EqualTo(HttpStatusCode.PreconditionFailed));

        var suspended = await SendAsync(HttpMethod.Post, "/status-api-bot/suspend", ifMatch: etag);
        Assert.That(suspended.Status, Is.EqualTo(HttpStatusCode.OK), suspended.Body?.ToJsonString());
        Assert.That((string)suspended.Body!["status"]!, Is.EqualTo("suspended"));
        Assert.That((await SendAsync(HttpMethod.Post, "/status-api-bot/resume", ifMatch: etag)).Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), "the old ETag is stale now");

        var revoked = await SendAsync(HttpMethod.Post, "/status-api-bot/revoke", ifMatch: suspended.Response.Headers.ETag!.ToString());
        Assert.That((string)revoked.Body!["status"]!, Is.EqualTo("revoked"));
        var resume = await SendAsync(HttpMethod.Post, "/status-api-bot/resume", ifMatch: revoked.Response.Headers.ETag!.ToString());
        Assert.That(resume.Status, Is.EqualTo(HttpStatusCode.Conflict), "a revoked agent stays revoked");
    }

    [Test]
    public async Task If_Match_accepts_a_list_of_tags_and_the_wildcard()
    {
        await SendAsync(HttpMethod.Post, "/", Registration("match-bot"));
        var etag = (await SendAsync(HttpMethod.Get, "/match-bot")).Response.Headers.ETag!.ToString();
        Assert.That((await SendAsync(HttpMethod.Post, "/match-bot/suspend", ifMatch: $"\"other\", {etag}")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await SendAsync(HttpMethod.Post, "/match-bot/resume", ifMatch: "*")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await SendAsync(HttpMethod.Post, "/match-bot/suspend", ifMatch: "W/" + etag)).Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), "weak tags never match");
    }

    [Test]
    public async Task Reserved_scopes_and_absurd_budgets_cannot_be_registered()
    {
        var response = await SendAsync(HttpMethod.Post, "/", new
        {
            id = "greedy-bot", display_name = "Greedy", owner = "x", capabilities = new[] { "agents:admin", "agents:usage" },
            budget = new { max_cost_per_month = 1e15m },
        });
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        var fields = response.Body!["errors"]!.AsObject().Select(e => e.Key).ToList();
        Assert.That(fields, Has.Some.StartsWith("capabilities["));
        Assert.That(fields, Does.Contain("budget.max_cost_per_month"));
    }

    [Test]
    public async Task Concurrent_changes_with_the_same_ETag_apply_once()
    {
        await SendAsync(HttpMethod.Post, "/", Registration("race-bot"));
        var etag = (await SendAsync(HttpMethod.Get, "/race-bot")).Response.Headers.ETag!.ToString();
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SendAsync(HttpMethod.Post, "/race-bot/suspend", ifMatch: etag)));
        Assert.That(results.Count(r => r.Status == HttpStatusCode.OK), Is.EqualTo(1));
        Assert.That(results.Count(r => r.Status == HttpStatusCode.PreconditionFailed), Is.EqualTo(5));
    }

    [Test]
    public async Task An_update_narrows_capabilities_at_once_and_needs_a_current_ETag()
    {
        var created = await SendAsync(HttpMethod.Post, "/", Registration("update-bot"));
        var secret = (string)created.Body!["client_secret"]!;
        var etag = created.Response.Headers.ETag!.ToString();
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "update-bot", secret, "read:articles")).Status, Is.EqualTo(HttpStatusCode.OK));

        Assert.That((int)(await SendAsync(HttpMethod.Patch, "/update-bot", new { owner = "x" })).Status, Is.EqualTo(428));
        var bad = await SendAsync(HttpMethod.Patch, "/update-bot", new { default_scopes = new[] { "not-held" }, max_chain_depth = 0 }, ifMatch: etag);
        Assert.That(bad.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bad.Body!["errors"]!.AsObject().Select(e => e.Key.Split('[')[0]), Is.SupersetOf(new[] { "default_scopes", "max_chain_depth" }));

        var updated = await SendAsync(HttpMethod.Patch, "/update-bot", new { capabilities = new[] { "search:web" }, owner = "new-owner" }, ifMatch: etag);
        Assert.That(updated.Status, Is.EqualTo(HttpStatusCode.OK), updated.Body?.ToJsonString());
        Assert.That((string)updated.Body!["owner"]!, Is.EqualTo("new-owner"));
        Assert.That((string)updated.Body!["display_name"]!, Is.EqualTo("Admin API update-bot"), "fields left out keep their value");
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "update-bot", secret, "read:articles"))["error"], Is.EqualTo("invalid_scope"), "the narrowed capabilities apply at once");
        Assert.That((await SendAsync(HttpMethod.Patch, "/update-bot", new { owner = "y" }, ifMatch: etag)).Status, Is.EqualTo(HttpStatusCode.PreconditionFailed));
    }

    [Test]
    public async Task A_rotated_secret_is_shown_once_and_the_old_one_stops_working()
    {
        var created = await SendAsync(HttpMethod.Post, "/", Registration("rotate-bot"));
        var old = (string)created.Body!["client_secret"]!;
        var rotated = await SendAsync(HttpMethod.Post, "/rotate-bot/secret");
        Assert.That(rotated.Status, Is.EqualTo(HttpStatusCode.OK), rotated.Body?.ToJsonString());
        var fresh = (string)rotated.Body!["client_secret"]!;
        Assert.That(fresh, Is.Not.EqualTo(old));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotate-bot", fresh)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotate-bot", old))["error"], Is.EqualTo("invalid_client"));
        Assert.That((await SendAsync(HttpMethod.Post, "/ghost-bot/secret")).Status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task An_administrator_sees_an_agents_consents_and_withdraws_one_which_is_audited()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        await RegisterAsync("consented-bot", ["read:articles", "delegate:user"], canAct: true);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "consented-bot", TestSecret, "read:articles");
        var actor = await AgentTokenAsync("consented-bot");
        Assert.That((await ExchangeAsync(alice, actor)).Status, Is.EqualTo(HttpStatusCode.OK));

        var list = await SendAsync(HttpMethod.Get, "/consented-bot/consents");
        var consent = list.Body!["consents"]!.AsArray().Single()!;
        Assert.That((string?)consent["subject"], Is.EqualTo("user:alice"));
        Assert.That((bool)consent["active"]!, Is.True);

        Assert.That((await SendAsync(HttpMethod.Delete, "/consented-bot/consents/user:alice")).Status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await SendAsync(HttpMethod.Delete, "/consented-bot/consents/user:alice")).Status, Is.EqualTo(HttpStatusCode.NotFound), "nothing left to withdraw");
        await AssertRefusedAsync(() => ExchangeAsync(alice, actor), "invalid_grant", "consent_missing");

        var changes = await Server.AuditAsync(new AuditQuery { AgentId = "consented-bot", Outcome = AuditOutcome.Changed, From = since });
        Assert.That(changes.Select(r => r.GrantType), Is.SupersetOf(new[] { "consent:grant", "consent:withdraw" }));
    }

    [Test]
    public async Task Workload_bindings_are_read_and_replaced_with_the_registration_checks()
    {
        await SendAsync(HttpMethod.Post, "/", Registration("bound-api-bot"));
        var none = await SendAsync(HttpMethod.Put, "/bound-api-bot/workload-bindings", new[] { new { issuer = "nowhere", subject = "svc", claims = new Dictionary<string, string>() } });
        Assert.That(none.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(none.Body!["errors"]!.AsObject().Select(e => e.Key), Does.Contain("[0].issuer"));
        Assert.That((await SendAsync(HttpMethod.Get, "/bound-api-bot/workload-bindings")).Body!["workload_bindings"]!.AsArray(), Is.Empty, "nothing written");
        Assert.That((await SendAsync(HttpMethod.Put, "/ghost-bot/workload-bindings", Array.Empty<object>())).Status, Is.EqualTo(HttpStatusCode.NotFound));

        var uid = K8sUid;
        var set = await SendAsync(HttpMethod.Put, "/bound-api-bot/workload-bindings", new[]
        {
            new
            {
                issuer = "kubernetes",
                subject = "system:serviceaccount:agents:bound-api-bot",
                claims = new Dictionary<string, string> { ["kubernetes.io/namespace"] = "agents", ["kubernetes.io/serviceaccount/uid"] = uid },
            },
        });
        Assert.That(set.Status, Is.EqualTo(HttpStatusCode.NoContent), set.Body?.ToJsonString());
        Assert.That((await SendAsync(HttpMethod.Get, "/bound-api-bot/workload-bindings")).Body!["workload_bindings"]!.AsArray(), Has.Count.EqualTo(1));

        var platformToken = _cluster.MintServiceAccountToken("kubernetes", "agents", "bound-api-bot", uid, WorkloadServerFixture.Audience);
        var login = await TokenEndpoint.PostAsync(Client,
        [
            ("grant_type", TokenEndpoint.TokenExchange), ("subject_token", platformToken),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"), ("subject_issuer", "kubernetes"),
        ]);
        Assert.That((string?)TokenEndpoint.Payload(login.AccessToken)["sub"], Is.EqualTo("agent:bound-api-bot"));
    }

    [Test]
    public async Task The_budget_status_reads_the_ledger()
    {
        var budget = await SendAsync(HttpMethod.Get, "/research-bot/budget");
        Assert.That(budget.Status, Is.EqualTo(HttpStatusCode.OK));
        var tokens = budget.Body!["budgets"]!.AsArray().Single(b => (string)b!["metric"]! == "llm_tokens")!;
        Assert.That((long)tokens["limit"]!, Is.EqualTo(200_000));
        Assert.That((string?)tokens["window"], Is.EqualTo("day"));
        Assert.That(budget.Body!["budgets"]!.AsArray().Select(b => (string?)b!["metric"]), Is.EquivalentTo(new[] { "llm_tokens", "api_calls", "cost" }),
            "the metric names of usage reports");
        Assert.That((await SendAsync(HttpMethod.Get, "/ghost-bot/budget")).Status, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
