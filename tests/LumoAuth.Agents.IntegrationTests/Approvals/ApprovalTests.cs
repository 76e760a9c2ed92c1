using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Approvals;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Client;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.IntegrationTests.Approvals;

/// <summary>
/// Human approval (OpenID CIBA Core 1.0, poll and ping, RFC 9396 authorization details) over real HTTP: every refusal
/// of the backchannel endpoint and of the CIBA grant with its error, code and audit record; an approval redeemed once
/// for a delegated token that names it; a lasting approval that lets the exchange through; a ping to the agent's
/// notification endpoint; and an approval given on one instance redeemed on another sharing the database.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public sealed class ApprovalTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const string Publisher = "publisher-bot";
    private const string Lasting = "lasting-bot";
    private const string Pinged = "pinged-bot";
    private const string CibaGrant = "urn:openid:params:grant-type:ciba";
    private const string Details = """[{"type":"publish_article","actions":["publish"],"identifier":"article-1"}]""";

    // Started before the server (BeforeServerStartsAsync) and disposed once in StopNotificationsAsync.
#pragma warning disable NUnit1032
    private WebApplication _notifications = null!;
#pragma warning restore NUnit1032
    private readonly List<(string? Authorization, string Body)> _pings = [];

    protected override IDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["LumoAgents:Approvals:PollingInterval"] = "00:00:01",
        ["LumoAgents:Approvals:MaxPendingPerUserAndAgent"] = "5",
        ["LumoAgents:Approvals:AuthorizationDetailTypes:publish_article"] = "write:articles",
        ["LumoAgents:Approvals:AuthorizationDetailTypes:pay_invoice"] = "pay:invoices",
    };

    /// <summary>A stand-in for the agent's notification endpoint (ping mode): records what the server posts.</summary>
    protected override async Task BeforeServerStartsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _notifications = builder.Build();
        _notifications.MapPost("/ciba/notify", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (_pings)
            {
                _pings.Add((http.Request.Headers.Authorization.ToString(), body));
            }

            return Results.NoContent();
        });
        await _notifications.StartAsync();
    }

    [OneTimeSetUp]
    public async Task RegisterAgentsAsync()
    {
        await RegisterWithRulesAsync(Publisher, [new ApprovalRule("write:articles", TimeSpan.Zero)]);
        await RegisterWithRulesAsync(Lasting, [new ApprovalRule("write:articles", TimeSpan.FromMinutes(10))]);
        await RegisterWithRulesAsync(Pinged, [new ApprovalRule("write:articles", TimeSpan.Zero)], new Uri(_notifications.Urls.First() + "/ciba/notify"));
    }

    [OneTimeTearDown]
    public async Task StopNotificationsAsync()
    {
        if (_notifications is not null)
        {
            await _notifications.DisposeAsync();
        }
    }

    private async Task RegisterWithRulesAsync(string id, ApprovalRule[] rules, Uri? notify = null)
    {
        var result = await Server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = id,
            DisplayName = id,
            Owner = "tests",
            Capabilities = ["read:articles", "write:articles", "delegate:user"],
            DefaultScopes = ["read:articles"],
            CanActForUsers = true,
            ClientSecret = TestSecret,
            ApprovalRules = rules,
            BackchannelNotificationEndpoint = notify,
            RedirectUris = [new Uri(UserConsentFlow.RedirectUri)],
        }).AsTask());
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
    }

    private Uri BackchannelUri => new(Server.BaseAddress, "connect/ciba");

    /// <summary>A backchannel request by <paramref name="agent"/> with client_secret_post and the fields given (null leaves one out).</summary>
    private Task<TokenResponse> AskAsync(string agent = Publisher, string? secret = TestSecret, params (string Name, string? Value)[] fields)
    {
        var form = new List<(string Name, string? Value)>
        {
            ("client_id", agent), ("client_secret", secret), ("login_hint", "alice"), ("binding_message", "Publish article 1"), ("scope", "write:articles"),
        };
        foreach (var field in fields)
        {
            form.RemoveAll(f => f.Name == field.Name);
            form.Add(field);
        }

        return PostFormAsync(BackchannelUri, form.Where(f => f.Value is not null).Select(f => (f.Name, f.Value!)).ToList());
    }

    private async Task<TokenResponse> PostFormAsync(Uri uri, IReadOnlyList<(string Name, string Value)> form, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Name, f.Value))),
        };
        configure?.Invoke(request);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new TokenResponse(response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    private Task<TokenResponse> RedeemAsync(string authRequestId, string agent = Publisher) =>
        TokenEndpoint.PostAsync(Client, [("grant_type", CibaGrant), ("auth_req_id", authRequestId), ("client_id", agent), ("client_secret", TestSecret)]);

    private async Task<string> StartAsync(string agent = Publisher, params (string Name, string? Value)[] fields)
    {
        var started = await AskAsync(agent, TestSecret, fields);
        Assert.That(started.Status, Is.EqualTo(HttpStatusCode.OK), started.ToString());
        return started["auth_req_id"]!;
    }

    private Task<bool> DecideAsync(string authRequestId, bool approve, string user = "user:alice", ITestServer? on = null) =>
        (on ?? Server).WithServiceAsync<bool, ApprovalInbox>(inbox =>
            inbox.DecideAsync(ApprovalPolicy.IdOf(authRequestId), user, approve, new AuditContext(), default).AsTask());

    /// <summary>Asserts a backchannel refusal: status, error, code, description, nothing stored, and its audit record.</summary>
    private async Task AssertAskRefusedAsync(Func<Task<TokenResponse>> send, int status, string error, string code)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var before = await PendingCountAsync();
        var response = await send();
        Assert.Multiple(() =>
        {
            Assert.That((int)response.Status, Is.EqualTo(status), response.ToString());
            Assert.That(response["error"], Is.EqualTo(error), response.ToString());
            Assert.That(response["error_code"], Is.EqualTo(code), response.ToString());
            Assert.That(response["error_description"], Is.Not.Null.And.Not.Empty);
            Assert.That(response["auth_req_id"], Is.Null);
        });
        Assert.That(await PendingCountAsync(), Is.EqualTo(before), "a refused request stored nothing");
        var records = await Server.AuditAsync(new AuditQuery { ReasonCode = code, Outcome = AuditOutcome.Refused, From = since });
        Assert.That(records.Any(r => r.GrantType == "backchannel_authentication" && r.Error == error), Is.True, $"no audit record with reason {code}");
    }

    private Task<int> PendingCountAsync() =>
        Server.WithServiceAsync<int, IApprovalStore>(async store => (await store.ListAsync(DateTimeOffset.UtcNow.AddHours(-1), 1000, default)).Count);

    // ---- The backchannel endpoint's refusals

    [Test]
    public Task No_client_authentication_is_invalid_client() =>
        AssertAskRefusedAsync(() => AskAsync(secret: null), 401, "invalid_client", "client_authentication_required");

    [Test]
    public Task A_wrong_secret_is_invalid_client() =>
        AssertAskRefusedAsync(() => AskAsync(secret: "not-the-secret-0123456789abcdef0123"), 401, "invalid_client", "client_authentication_required");

    [Test]
    public Task Basic_and_post_authentication_together_are_invalid_client() =>
        AssertAskRefusedAsync(() => PostFormAsync(BackchannelUri, [("client_secret", TestSecret), ("login_hint", "alice"), ("binding_message", "x"), ("scope", "write:articles")],
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Publisher}:{TestSecret}")))),
            401, "invalid_client", "client_authentication_required");

    [Test]
    public Task A_client_assertion_is_not_accepted() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("client_assertion", "eyJhbGciOiJub25lIn0.e30."), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")]),
            401, "invalid_client", "client_authentication_required");

    [Test]
    public Task An_agent_that_may_not_act_for_users_is_unauthorized() =>
        AssertAskRefusedAsync(() => AskAsync("plain-bot", fields: [("scope", "read:articles")]), 403, "unauthorized_client", "delegation_not_allowed");

    [Test]
    public Task A_suspended_agent_is_unauthorized() =>
        AssertAskRefusedAsync(() => AskAsync("suspended-bot", fields: [("scope", "read:articles")]), 403, "unauthorized_client", "agent_suspended");

    [Test]
    public Task A_request_without_login_hint_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("login_hint", null)]), 400, "invalid_request", "user_hint_invalid");

    [Test]
    public Task An_id_token_hint_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("login_hint", null), ("id_token_hint", "eyJhbGciOiJub25lIn0.e30.")]), 400, "invalid_request", "user_hint_invalid");

    [Test]
    public Task An_unknown_user_is_unknown_user_id() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("login_hint", "mallory")]), 400, "unknown_user_id", "user_unknown");

    [Test]
    public Task A_missing_binding_message_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("binding_message", null)]), 400, "invalid_binding_message", "binding_message_invalid");

    [Test]
    public Task An_oversized_binding_message_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("binding_message", new string('x', 101))]), 400, "invalid_binding_message", "binding_message_invalid");

    [Test]
    public Task A_binding_message_with_a_line_break_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("binding_message", "Publish\nand delete everything")]), 400, "invalid_binding_message", "binding_message_invalid");

    [TestCase("0")]
    [TestCase("-5")]
    [TestCase("ten")]
    [TestCase("1801")]
    public Task A_bad_requested_expiry_is_refused(string expiry) =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("requested_expiry", expiry)]), 400, "invalid_request", "requested_expiry_invalid");

    [Test]
    public Task A_scope_beyond_the_agents_capabilities_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("scope", "write:articles admin:everything")]), 400, "invalid_scope", "scope_not_in_capabilities");

    [Test]
    public Task A_request_that_asks_for_nothing_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("scope", null)]), 400, "invalid_request", "parameter_missing");

    [TestCase("not json")]
    [TestCase("""{"type":"publish_article"}""")]
    [TestCase("""[{"type":"delete_everything"}]""")]
    [TestCase("""[{"type":"pay_invoice","actions":["pay"]}]""")]
    [TestCase("""[{"type":"publish_article","locations":["https://elsewhere.example/"]}]""")]
    [TestCase("""[{"type":"publish_article","type":"pay_invoice"}]""")]
    [TestCase("""[{"type":"publish_article","amount":{"currency":"eur","value":"10"}}]""")]
    [TestCase("""[{"type":"publish_article","actions":[]}]""")]
    public Task Authorization_details_beyond_what_the_agent_may_ask_are_refused(string details) =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("authorization_details", details)]), 400, "invalid_authorization_details", "authorization_details_invalid");

    [Test]
    public Task A_repeated_parameter_is_refused() =>
        AssertAskRefusedAsync(() => PostFormAsync(BackchannelUri, [("client_id", Publisher), ("client_secret", TestSecret), ("login_hint", "alice"), ("login_hint", "bob"),
            ("binding_message", "x"), ("scope", "write:articles")]), 400, "invalid_request", "parameter_duplicated");

    [Test]
    public Task A_notification_token_from_a_polling_agent_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("client_notification_token", "abc")]), 400, "invalid_request", "notification_token_invalid");

    [Test]
    public Task A_ping_agent_without_a_notification_token_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(Pinged), 400, "invalid_request", "notification_token_invalid");

    [Test]
    public Task A_user_code_is_refused() =>
        AssertAskRefusedAsync(() => AskAsync(fields: [("user_code", "1234")]), 400, "invalid_request", "parameter_not_allowed");

    [Test]
    public async Task A_body_that_is_not_a_form_is_refused()
    {
        using var response = await Client.PostAsync(BackchannelUri, new StringContent("""{"login_hint":"alice"}""", Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body["error"]!.GetValue<string>(), Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task An_agent_may_hold_only_so_many_pending_requests_per_user()
    {
        // Bob is asked by no other test.
        for (var i = 0; i < 5; i++)
        {
            await StartAsync(fields: [("login_hint", "bob")]);
        }

        await AssertAskRefusedAsync(() => AskAsync(fields: [("login_hint", "bob")]), 400, "invalid_request", "approval_pending_limit");
    }

    // ---- The CIBA grant's refusals

    [Test]
    public Task A_token_request_without_auth_req_id_is_refused() =>
        AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client, [("grant_type", CibaGrant), ("client_id", Publisher), ("client_secret", TestSecret)]),
            "invalid_request", "parameter_missing");

    [Test]
    public Task An_unknown_auth_req_id_is_refused() =>
        AssertRefusedAsync(() => RedeemAsync("never-issued-" + Guid.NewGuid().ToString("N")), "invalid_grant", "approval_unknown");

    [Test]
    public async Task Another_clients_auth_req_id_is_refused_as_unknown()
    {
        var id = await StartAsync();
        await DecideAsync(id, approve: true);
        await AssertRefusedAsync(() => RedeemAsync(id, Lasting), "invalid_grant", "approval_unknown");
        Assert.That((await RedeemAsync(id)).Status, Is.EqualTo(HttpStatusCode.OK), "the owner still redeems it");
    }

    [Test]
    public async Task A_pending_request_is_authorization_pending_and_polling_too_fast_slows_down()
    {
        var id = await StartAsync();
        await AssertRefusedAsync(() => RedeemAsync(id), "authorization_pending", "approval_pending");
        await AssertRefusedAsync(() => RedeemAsync(id), "slow_down", "approval_polled_too_soon");
        var stored = await Server.WithServiceAsync<ApprovalRequest?, IApprovalStore>(store => store.FindAsync(ApprovalPolicy.IdOf(id), default).AsTask());
        Assert.That(stored!.IntervalSeconds, Is.EqualTo(6), "the interval grew by 5 seconds (CIBA Core section 11)");
    }

    [Test]
    public async Task A_denied_request_is_access_denied()
    {
        var id = await StartAsync();
        Assert.That(await DecideAsync(id, approve: false), Is.True);
        await AssertRefusedAsync(() => RedeemAsync(id), "access_denied", "approval_denied");
        Assert.That(await DecideAsync(id, approve: true), Is.False, "a decided request cannot be decided again");
    }

    [Test]
    public async Task A_request_nobody_decided_in_time_is_expired()
    {
        var id = await StartAsync(fields: [("requested_expiry", "1")]);
        await Task.Delay(TimeSpan.FromMilliseconds(1_200));
        await AssertRefusedAsync(() => RedeemAsync(id), "expired_token", "approval_expired");
        Assert.That(await DecideAsync(id, approve: true), Is.False, "a lapsed request cannot be approved");
        var records = await Server.AuditAsync(new AuditQuery { AgentId = Publisher, From = DateTimeOffset.UtcNow.AddMinutes(-1), Take = 500 });
        Assert.That(records.Any(r => r.GrantType == "approval:expired" && r.TokenId == ApprovalPolicy.IdOf(id)), Is.True);
    }

    [Test]
    public async Task Only_the_user_asked_can_decide()
    {
        var id = await StartAsync();
        Assert.That(await DecideAsync(id, approve: true, user: "user:bob"), Is.False);
        await AssertRefusedAsync(() => RedeemAsync(id), "authorization_pending", "approval_pending");
    }

    [Test]
    public async Task An_approval_is_redeemed_once()
    {
        var id = await StartAsync();
        await DecideAsync(id, approve: true);
        Assert.That((await RedeemAsync(id)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertRefusedAsync(() => RedeemAsync(id), "invalid_grant", "approval_redeemed");
    }

    [Test]
    public async Task An_exchange_for_an_approval_only_capability_is_sent_to_the_backchannel_endpoint()
    {
        var userToken = await UserConsentFlow.UserTokenAsync(Server, Publisher, TestSecret, "read:articles");
        var actor = await AgentTokenAsync(Publisher);
        await AssertRefusedAsync(() => ExchangeAsync(userToken, actor, "write:articles"), "invalid_grant", "approval_required");

        // Without a scope the approval-only capability is left out, not refused.
        var plain = await ExchangeAsync(userToken, actor);
        Assert.That(plain.Status, Is.EqualTo(HttpStatusCode.OK), plain.ToString());
        Assert.That(plain["scope"], Is.EqualTo("read:articles"));
    }

    // ---- Approved

    [Test]
    public async Task An_approved_request_becomes_a_delegated_token_that_names_the_approval_and_its_details()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var id = await StartAsync(fields: [("scope", null), ("authorization_details", Details)]);
        await AssertRefusedAsync(() => RedeemAsync(id), "authorization_pending", "approval_pending");
        var listed = await Server.WithServiceAsync<IReadOnlyList<ApprovalRequest>, ApprovalInbox>(inbox => inbox.ListAsync("user:alice", new AuditContext(), default).AsTask());
        Assert.That(listed.Any(r => r.Id == ApprovalPolicy.IdOf(id) && r.ShownAt is not null), Is.True, "shown to Alice");
        Assert.That(await DecideAsync(id, approve: true), Is.True);
        await Task.Delay(TimeSpan.FromMilliseconds(1_100)); // the interval
        var token = await RedeemAsync(id);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        var claims = TokenEndpoint.Payload(token.AccessToken);
        Assert.Multiple(() =>
        {
            Assert.That(claims["sub"]!.GetValue<string>(), Is.EqualTo("user:alice"));
            Assert.That(claims["act"]!["sub"]!.GetValue<string>(), Is.EqualTo("agent:" + Publisher));
            Assert.That(claims["scope"]!.GetValue<string>(), Is.EqualTo("write:articles"));
            Assert.That(claims["approval_id"]!.GetValue<string>(), Is.EqualTo(ApprovalPolicy.IdOf(id)));
            Assert.That(claims["authorization_details"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("publish_article"));
            Assert.That(token.Body["authorization_details"]![0]!["identifier"]!.GetValue<string>(), Is.EqualTo("article-1"));
            Assert.That(token["scope"], Is.EqualTo("write:articles"));
        });

        var steps = (await Server.AuditAsync(new AuditQuery { AgentId = Publisher, From = since, Take = 500 })).Where(r => r.TokenId == ApprovalPolicy.IdOf(id)).Select(r => r.GrantType).ToList();
        Assert.That(steps, Is.SupersetOf(new[] { "approval:requested", "approval:shown", "approval:approved", "approval:redeemed" }));
        var issued = await Server.AuditAsync(new AuditQuery { AgentId = Publisher, Outcome = AuditOutcome.Issued, From = since });
        Assert.That(issued.Any(r => r.GrantType == CibaGrant && r.Subject == "user:alice"), Is.True, "the issuance is audited like every grant");
    }

    [Test]
    public async Task A_lasting_approval_lets_the_exchange_through_until_it_ends()
    {
        var userToken = await UserConsentFlow.UserTokenAsync(Server, Lasting, TestSecret, "read:articles");
        var actor = await AgentTokenAsync(Lasting);
        await AssertRefusedAsync(() => ExchangeAsync(userToken, actor, "write:articles"), "invalid_grant", "approval_required");

        var id = await StartAsync(Lasting);
        await DecideAsync(id, approve: true);
        var exchanged = await ExchangeAsync(userToken, actor, "write:articles");
        Assert.That(exchanged.Status, Is.EqualTo(HttpStatusCode.OK), exchanged.ToString());
        var claims = TokenEndpoint.Payload(exchanged.AccessToken);
        var stored = await Server.WithServiceAsync<ApprovalRequest?, IApprovalStore>(store => store.FindAsync(ApprovalPolicy.IdOf(id), default).AsTask());
        Assert.Multiple(() =>
        {
            Assert.That(claims["scope"]!.GetValue<string>(), Is.EqualTo("write:articles"));
            Assert.That(stored!.ApprovalValidUntil, Is.Not.Null);
            Assert.That(claims["exp"]!.GetValue<long>(), Is.LessThanOrEqualTo(stored.ApprovalValidUntil!.Value.ToUnixTimeSeconds()));
        });
    }

    [Test]
    public async Task An_approval_asked_with_a_DPoP_key_is_redeemed_with_that_key_only_and_its_token_is_bound()
    {
        using var key = LumoAuth.Agents.Client.Dpop.DpopKey.Generate();
        using var thief = LumoAuth.Agents.Client.Dpop.DpopKey.Generate();
        var tokenUri = new Uri(Server.BaseAddress, "connect/token");
        var started = await PostFormAsync(BackchannelUri,
            [("client_id", Publisher), ("client_secret", TestSecret), ("login_hint", "alice"), ("binding_message", "Bound approval"), ("scope", "write:articles")],
            r => r.Headers.TryAddWithoutValidation("DPoP", key.CreateProof("POST", BackchannelUri, DateTimeOffset.UtcNow)));
        Assert.That(started.Status, Is.EqualTo(HttpStatusCode.OK), started.ToString());
        var id = started["auth_req_id"]!;
        await DecideAsync(id, approve: true);

        IReadOnlyList<(string, string)> redeem = [("grant_type", CibaGrant), ("auth_req_id", id), ("client_id", Publisher), ("client_secret", TestSecret)];
        await AssertRefusedAsync(() => PostFormAsync(tokenUri, redeem), "invalid_dpop_proof", "dpop_proof_required");
        await AssertRefusedAsync(() => PostFormAsync(tokenUri, redeem, r => r.Headers.TryAddWithoutValidation("DPoP", thief.CreateProof("POST", tokenUri, DateTimeOffset.UtcNow))),
            "invalid_dpop_proof", "dpop_proof_required");
        var bound = await PostFormAsync(tokenUri, redeem, r => r.Headers.TryAddWithoutValidation("DPoP", key.CreateProof("POST", tokenUri, DateTimeOffset.UtcNow)));
        Assert.That(bound.Status, Is.EqualTo(HttpStatusCode.OK), bound.ToString());
        Assert.That(bound["token_type"], Is.EqualTo("DPoP"));
        Assert.That(TokenEndpoint.Payload(bound.AccessToken)["cnf"]!["jkt"]!.GetValue<string>(), Is.EqualTo(key.Thumbprint));
    }

    [Test]
    public async Task A_ping_agent_is_told_at_its_notification_endpoint_with_its_token()
    {
        var id = await StartAsync(Pinged, [("client_notification_token", "ping-token-0123456789")]);
        Assert.That(await DecideAsync(id, approve: true), Is.True);
        List<(string? Authorization, string Body)> pings;
        lock (_pings)
        {
            pings = [.. _pings];
        }

        Assert.That(pings.Any(p => p.Authorization == "Bearer ping-token-0123456789" && JsonNode.Parse(p.Body)!["auth_req_id"]!.GetValue<string>() == id), Is.True,
            string.Join("; ", pings.Select(p => p.Authorization + " " + p.Body)));
        var token = await RedeemAsync(id, Pinged);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());

        // Alice never consented to this agent: its token lives on her approval, as introspection says.
        var introspected = await TokenEndpoint.PostAsync(Client, [("token", token.AccessToken), ("client_id", "acme-corp-api"), ("client_secret", TestTenant.ApiSecret)], "/connect/introspect");
        Assert.That(introspected.Body["active"]!.GetValue<bool>(), Is.True, introspected.ToString());
        Assert.That(introspected["approval_id"], Is.EqualTo(ApprovalPolicy.IdOf(id)), introspected.ToString());
    }

    [Test]
    public async Task An_approval_given_on_one_instance_is_redeemed_on_another_sharing_the_database()
    {
        await using var second = await LibraryServer.StartAsync(new LibraryServerOptions { SharedWith = (LibraryServer)Server });
        var id = await StartAsync();
        Assert.That(await DecideAsync(id, approve: true, on: second), Is.True, "decided on the second instance");
        using var client = second.Http();
        var token = await TokenEndpoint.PostAsync(client, [("grant_type", CibaGrant), ("auth_req_id", id), ("client_id", Publisher), ("client_secret", TestSecret)]);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        await AssertRefusedAsync(() => RedeemAsync(id), "invalid_grant", "approval_redeemed");
    }

    [Test]
    public async Task Discovery_names_the_backchannel_endpoint_and_its_modes()
    {
        using var response = await Client.GetAsync(new Uri(Server.BaseAddress, ".well-known/openid-configuration"));
        var metadata = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(metadata["backchannel_authentication_endpoint"]!.GetValue<string>(), Is.EqualTo(BackchannelUri.AbsoluteUri));
            Assert.That(metadata["backchannel_token_delivery_modes_supported"]!.AsArray().Select(m => m!.GetValue<string>()), Is.EquivalentTo(new[] { "poll", "ping" }));
            Assert.That(metadata["grant_types_supported"]!.AsArray().Select(m => m!.GetValue<string>()), Does.Contain(CibaGrant));
            Assert.That(metadata["authorization_details_types_supported"]!.AsArray().Select(m => m!.GetValue<string>()), Does.Contain("publish_article"));
        });
    }

    [Test]
    public async Task The_admin_api_sets_and_shows_approval_rules_and_the_notification_endpoint()
    {
        var admin = (await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin")).AccessToken;
        async Task<(HttpResponseMessage Response, JsonNode Body)> SendAsync(HttpMethod method, string path, object body, string? ifMatch = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(LibraryServer.AdminPath + path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }

            request.Content = System.Net.Http.Json.JsonContent.Create(body);
            var response = await Client.SendAsync(request);
            return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
        }

        var (created, body) = await SendAsync(HttpMethod.Post, "", new Dictionary<string, object>
        {
            ["id"] = "rules-bot", ["display_name"] = "Rules Bot", ["owner"] = "tests", ["capabilities"] = new[] { "read:articles", "write:articles", "delegate:user" },
            ["can_act_for_users"] = true,
            ["approval_rules"] = new[] { new Dictionary<string, object> { ["capability"] = "write:articles", ["valid_for_seconds"] = 0 } },
        });
        Assert.Multiple(() =>
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
            Assert.That(body["agent"]!["approval_rules"]![0]!["capability"]!.GetValue<string>(), Is.EqualTo("write:articles"));
            Assert.That(body["agent"]!["backchannel_notification_endpoint"], Is.Null);
        });

        var (patched, after) = await SendAsync(HttpMethod.Patch, "/rules-bot", new Dictionary<string, object>
        {
            ["approval_rules"] = new[] { new Dictionary<string, object> { ["capability"] = "write:articles", ["valid_for_seconds"] = 600 } },
            ["backchannel_notification_endpoint"] = "https://agents.acme-corp.example/ciba",
        }, created.Headers.ETag!.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(patched.StatusCode, Is.EqualTo(HttpStatusCode.OK), after.ToJsonString());
            Assert.That(after["approval_rules"]![0]!["valid_for_seconds"]!.GetValue<int>(), Is.EqualTo(600));
            Assert.That(after["backchannel_notification_endpoint"]!.GetValue<string>(), Is.EqualTo("https://agents.acme-corp.example/ciba"));
        });
        var stored = await Server.WithServiceAsync<AgentProfile?, IAgentStore>(store => store.FindAsync("rules-bot", default).AsTask());
        Assert.That(stored!.ApprovalRules.Single(), Is.EqualTo(new ApprovalRule("write:articles", TimeSpan.FromMinutes(10))));

        // A ping agent now: a request without a notification token is refused (the generated secret authenticates it).
        var secret = body["client_secret"]!.GetValue<string>();
        await AssertAskRefusedAsync(() => AskAsync("rules-bot", secret), 400, "invalid_request", "notification_token_invalid");
        var (bad, problem) = await SendAsync(HttpMethod.Patch, "/rules-bot", new Dictionary<string, object>
        {
            ["approval_rules"] = new[] { new Dictionary<string, object> { ["capability"] = "search:web", ["valid_for_seconds"] = 0 } },
        }, patched.Headers.ETag!.ToString());
        Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), problem.ToJsonString());

        // null removes the notification endpoint (back to polling); leaving the field out keeps it.
        var (kept, keptBody) = await SendAsync(HttpMethod.Patch, "/rules-bot", new Dictionary<string, object> { ["display_name"] = "Rules Bot 2" }, patched.Headers.ETag!.ToString());
        Assert.That(keptBody["backchannel_notification_endpoint"]!.GetValue<string>(), Is.EqualTo("https://agents.acme-corp.example/ciba"), keptBody.ToJsonString());
        var (removed, removedBody) = await SendAsync(HttpMethod.Patch, "/rules-bot", new Dictionary<string, object?> { ["backchannel_notification_endpoint"] = null }, kept.Headers.ETag!.ToString());
        Assert.That(removed.StatusCode, Is.EqualTo(HttpStatusCode.OK), removedBody.ToJsonString());
        Assert.That(removedBody["backchannel_notification_endpoint"], Is.Null, removedBody.ToJsonString());
    }

    // ---- The client package

    private sealed class PlainHttpClientFactory : IHttpClientFactory, IDisposable
    {
        private readonly SocketsHttpHandler _handler = new();

        public HttpClient CreateClient(string name) => new(_handler, disposeHandler: false);

        public void Dispose() => _handler.Dispose();
    }

    private static readonly UserApprovalRequest Publish = new() { LoginHint = "alice", BindingMessage = "Publish from the client", AuthorizationDetails = Details };

    private AgentTokenClient ClientFor(PlainHttpClientFactory http, string agent = Publisher) => AgentTokenClient.Create(http, new LumoAgentClientOptions
    {
        TokenEndpoint = new Uri(Server.BaseAddress, "connect/token"), ClientId = agent, ClientSecret = TestSecret,
    }, TimeProvider.System);

    /// <summary>Decides the newest pending request of <paramref name="agent"/> for Alice as soon as it is stored.</summary>
    private async Task DecideNewestAsync(string agent, bool approve)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var pending = (await Server.WithServiceAsync<IReadOnlyList<ApprovalRequest>, IApprovalStore>(store =>
                store.ListForUserAsync("user:alice", DateTimeOffset.UtcNow.AddMinutes(-1), 50, default).AsTask()))
                .FirstOrDefault(r => r.AgentId == agent && r.Status == ApprovalStatus.Pending && r.BindingMessage == Publish.BindingMessage);
            if (pending is not null)
            {
                Assert.That(await Server.WithServiceAsync<bool, ApprovalInbox>(inbox =>
                    inbox.DecideAsync(pending.Id, "user:alice", approve, new AuditContext(), default).AsTask()), Is.True);
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the client's request was never stored");
    }

    [Test]
    public async Task The_client_package_asks_waits_and_returns_the_approved_token()
    {
        using var http = new PlainHttpClientFactory();
        using var client = ClientFor(http);
        var asking = client.RequestApprovalAsync(Publish);
        await DecideNewestAsync(Publisher, approve: true);
        var token = await asking;
        Assert.Multiple(() =>
        {
            Assert.That(TokenEndpoint.Payload(token.AccessToken)["sub"]!.GetValue<string>(), Is.EqualTo("user:alice"));
            Assert.That(token.Scope, Is.EqualTo("write:articles"));
            Assert.That(token.AuthorizationDetails, Does.Contain("publish_article"));
        });
    }

    [Test]
    public async Task The_client_package_raises_a_typed_exception_when_the_user_denies()
    {
        using var http = new PlainHttpClientFactory();
        using var client = ClientFor(http);
        var asking = client.RequestApprovalAsync(Publish);
        await DecideNewestAsync(Publisher, approve: false);
        var denied = await Assert.ThrowsAsync<UserApprovalException>(async () => await asking);
        Assert.That(denied!.Failure, Is.EqualTo(ApprovalFailure.Denied));
        Assert.That(denied.ErrorCode, Is.EqualTo("approval_denied"));
    }

    [Test]
    public async Task The_client_package_raises_a_typed_exception_when_nobody_decides_in_time()
    {
        using var http = new PlainHttpClientFactory();
        using var client = ClientFor(http);
        var expired = await Assert.ThrowsAsync<UserApprovalException>(async () =>
            await client.RequestApprovalAsync(Publish with { BindingMessage = "Nobody answers", RequestedExpiry = TimeSpan.FromSeconds(1) }));
        Assert.That(expired!.Failure, Is.EqualTo(ApprovalFailure.Expired));
    }

    [Test]
    public async Task The_client_package_raises_a_typed_exception_when_the_caller_stops_waiting()
    {
        using var http = new PlainHttpClientFactory();
        using var client = ClientFor(http);
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(1_500));
        var cancelled = await Assert.ThrowsAsync<UserApprovalException>(async () =>
            await client.RequestApprovalAsync(Publish with { BindingMessage = "Stop waiting" }, stop.Token));
        Assert.That(cancelled!.Failure, Is.EqualTo(ApprovalFailure.Cancelled));
    }

    [Test]
    public async Task The_client_package_exchanges_when_it_can_and_asks_when_it_must()
    {
        // An agent of its own, so no approval of another test lasts for it.
        const string agent = "client-lasting-bot";
        await RegisterWithRulesAsync(agent, [new ApprovalRule("write:articles", TimeSpan.FromMinutes(10))]);
        using var http = new PlainHttpClientFactory();
        using var client = ClientFor(http, agent);
        var userToken = await UserConsentFlow.UserTokenAsync(Server, agent, TestSecret, "read:articles");

        // No lasting approval yet: the exchange says approval_required and the client asks Alice.
        var asking = client.GetDelegatedTokenWithApprovalAsync(userToken, "write:articles", Publish);
        await DecideNewestAsync(agent, approve: true);
        var first = await asking;
        Assert.That(TokenEndpoint.Payload(first)["scope"]!.GetValue<string>(), Is.EqualTo("write:articles"));

        // Her approval lasts ten minutes: the next call is a plain exchange, without asking again.
        var before = await PendingCountAsync();
        var second = await client.GetDelegatedTokenWithApprovalAsync(userToken, "write:articles", Publish);
        Assert.That(TokenEndpoint.Payload(second)["scope"]!.GetValue<string>(), Is.EqualTo("write:articles"));
        Assert.That(await PendingCountAsync(), Is.EqualTo(before), "no new approval request");
    }
}
