using System.Net;
using System.Security.Cryptography;
using System.Text;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.Workload;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Workload;

/// <summary>Seed pattern 2 through the whole server: agents log in with their platform identity, no secret.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class WorkloadLoginTests(DatabaseKind database) : WorkloadServerFixture(database)
{
    private const string K8sUid = "0b8e6f0e-4a47-4c6e-9b1a-1c2d3e4f5a6b";
    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        Trust("k8s", "Kubernetes");
        Trust("github", "GitHub", "jwks");
        Trust("aws", "Aws");
        Trust("gcp", "Gcp", "jwks");
        Trust("azure", "Azure");
        Trust("spiffe", "Spiffe", "jwks", algorithms: ["ES256"]);
        Trust("oidc", "Oidc");
        Trust("pinned", "Oidc", "pinned");
        Trust("nolocal", "Oidc", "https-jwks", allowPrivate: false);
        Trust("storm", "Oidc");
        Trust("redirect", "Oidc", "jwks");
        Trust("huge", "Oidc", "jwks");
        Trust("many", "Oidc", "jwks");
        Issuer.Add("attacker");

        Bind("wl-k8s", "k8s", "system:serviceaccount:agents:wl-k8s",
            ("kubernetes.io/namespace", "agents"), ("kubernetes.io/serviceaccount/name", "wl-k8s"), ("kubernetes.io/serviceaccount/uid", K8sUid));
        Bind("wl-github", "github", "repo:acme/agents:ref:refs/heads/main", ("repository_id", "123456"));
        Bind("wl-aws", "aws", "arn:aws:iam::111122223333:role/research-agent");
        Bind("wl-gcp", "gcp", "112233445566778899001");
        Bind("wl-azure", "azure", "5f1c2d3e-0000-4000-8000-00000000a2e0", ("tid", "72f988bf-0000-4000-8000-000000000001"), ("oid", "5f1c2d3e-0000-4000-8000-00000000a2e0"));
        Bind("wl-spiffe", "spiffe", "spiffe://acme.test/agents/wl-spiffe");
        Bind("wl-oidc", "oidc", "service-42");
        Bind("wl-pinned", "pinned", "pinned-service");
        Bind("wl-nolocal", "nolocal", "nolocal-service");
        Bind("wl-storm", "storm", "storm-service");
        Bind("wl-storm", "redirect", "redirect-service");
        Bind("wl-storm", "huge", "huge-service");
        Bind("wl-storm", "many", "many-service");
        Bind("wl-suspended", "oidc", "suspended-service");
        Bind("wl-revoked", "oidc", "revoked-service");
        Bind("wl-ghost", "oidc", "ghost-service");
        Bind("wl-oidc", "oidc", "twice-bound");
        Trust("single", "Oidc", singleKey: true);
        Bind("wl-storm", "single", "single-service");
    }

    [OneTimeSetUp]
    public async Task RegisterWorkloadAgentsAsync()
    {
        // Workload agents have no secret at all: their platform identity is their only credential.
        foreach (var id in new[] { "wl-github", "wl-aws", "wl-gcp", "wl-azure", "wl-spiffe", "wl-oidc", "wl-pinned", "wl-nolocal", "wl-storm" })
        {
            await RegisterAsync(id, ["search:web", "read:articles"], secret: null);
        }

        await RegisterAsync("wl-k8s", ["read:articles", "search:web", "delegate:user"], canAct: true, secret: null);
        await RegisterAsync("wl-suspended", ["search:web"], status: AgentStatus.Suspended, secret: null);
        await RegisterAsync("wl-revoked", ["search:web"], status: AgentStatus.Revoked, secret: null);
    }

    private static Dictionary<string, object> K8s(string ns = "agents", string sa = "wl-k8s", string uid = K8sUid, string audience = Audience) => new()
    {
        ["sub"] = $"system:serviceaccount:{ns}:{sa}",
        ["aud"] = new[] { audience },
        ["kubernetes.io"] = new Dictionary<string, object>
        {
            ["namespace"] = ns,
            ["serviceaccount"] = new Dictionary<string, object> { ["name"] = sa, ["uid"] = uid },
            ["pod"] = new Dictionary<string, object> { ["name"] = sa + "-5d8c7", ["uid"] = Guid.NewGuid().ToString() },
        },
    };

    private static Dictionary<string, object> GitHub(string repository = "acme/agents", string repositoryId = "123456") => new()
    {
        ["sub"] = $"repo:{repository}:ref:refs/heads/main",
        ["aud"] = Audience,
        ["repository"] = repository,
        ["repository_id"] = repositoryId,
        ["repository_owner"] = repository.Split('/')[0],
        ["ref"] = "refs/heads/main",
        ["workflow"] = "deploy",
    };

    private static Dictionary<string, object> Plain(string subject, object? audience = null) => new() { ["sub"] = subject, ["aud"] = audience ?? Audience };

    internal static RsaSecurityKey WithKid(RsaSecurityKey key, string kid) => new(key.Rsa) { KeyId = kid };

    private string K8sToken(Dictionary<string, object>? claims = null) => Issuer.Mint("k8s", claims ?? K8s(), Now);

    private async Task AssertWorkloadRefusedAsync(Func<Task<TokenResponse>> send, string error, string code, bool expectWorkloadInAudit = true)
    {
        await AssertRefusedAsync(send, error, code);
        if (expectWorkloadInAudit)
        {
            var record = (await Server.AuditAsync(new AuditQuery { ReasonCode = code, Take = 1 })).Single();
            Assert.That(record.WorkloadIssuer ?? record.WorkloadSubject, Is.Not.Null, "the audit names the workload's issuer or subject");
        }
    }

    // ----- logging in -----

    [Test]
    public async Task The_seed_request_with_subject_issuer_logs_the_bound_agent_in_without_a_secret()
    {
        var platformToken = K8sToken();
        var response = await LoginAsync(platformToken, "k8s");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var payload = TokenEndpoint.Payload(response.AccessToken);
        Assert.Multiple(() =>
        {
            Assert.That((string?)TokenEndpoint.Header(response.AccessToken)["typ"], Is.EqualTo("at+jwt"));
            Assert.That((string?)payload["sub"], Is.EqualTo("agent:wl-k8s"));
            Assert.That((string?)payload["client_id"], Is.EqualTo("wl-k8s"));
            Assert.That((string?)payload["scope"], Is.EqualTo("read:articles"), "the agent's default scopes");
            Assert.That((string?)payload["workload"]!["iss"], Is.EqualTo(Issuer.IssuerOf("k8s")));
            Assert.That((string?)payload["workload"]!["sub"], Is.EqualTo("system:serviceaccount:agents:wl-k8s"));
            Assert.That(payload.ContainsKey("act"), Is.False);
            Assert.That((long)payload["exp"]! - (long)payload["iat"]!, Is.EqualTo(300));
        });
    }

    [Test]
    public async Task Without_subject_issuer_the_trust_is_chosen_by_exact_iss()
    {
        var response = await LoginAsync(K8sToken());
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["sub"], Is.EqualTo("agent:wl-k8s"));
    }

    [TestCase("github", "wl-github")]
    [TestCase("aws", "wl-aws")]
    [TestCase("gcp", "wl-gcp")]
    [TestCase("azure", "wl-azure")]
    [TestCase("spiffe", "wl-spiffe")]
    [TestCase("oidc", "wl-oidc")]
    [TestCase("pinned", "wl-pinned")]
    public async Task Each_platform_shape_logs_its_bound_agent_in(string platform, string agent)
    {
        var claims = platform switch
        {
            "github" => GitHub(),
            "aws" => new Dictionary<string, object>(Plain("arn:aws:iam::111122223333:role/research-agent")) { ["https://sts.amazonaws.com/"] = new Dictionary<string, object> { ["aws_account"] = "111122223333" } },
            "gcp" => new Dictionary<string, object>(Plain("112233445566778899001")) { ["email"] = "agent@acme.iam.gserviceaccount.com", ["azp"] = "112233445566778899001" },
            "azure" => new Dictionary<string, object>(Plain("5f1c2d3e-0000-4000-8000-00000000a2e0")) { ["tid"] = "72f988bf-0000-4000-8000-000000000001", ["oid"] = "5f1c2d3e-0000-4000-8000-00000000a2e0" },
            "spiffe" => Plain("spiffe://acme.test/agents/wl-spiffe"),
            "oidc" => Plain("service-42"),
            _ => Plain("pinned-service"),
        };
        var token = platform == "spiffe" ? Issuer.Mint(platform, claims, Now, Issuer.EcKey(platform)) : Issuer.Mint(platform, claims, Now);
        var response = await LoginAsync(token, platform);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["sub"], Is.EqualTo("agent:" + agent));
        if (platform == "pinned")
        {
            Assert.That(Issuer.Fetches("pinned"), Is.Zero, "pinned keys are never fetched");
        }
    }

    [Test]
    public async Task A_binding_registered_with_the_agent_through_the_registry_logs_it_in()
    {
        var result = await Server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "wl-registered",
            DisplayName = "Registered by API",
            Owner = "tests",
            Capabilities = ["search:web"],
            DefaultScopes = ["search:web"],
            WorkloadBindings = [WorkloadBinding.Exact("", "oidc", "registered-service")],
        }).AsTask());
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));

        var response = await LoginAsync(Issuer.Mint("oidc", Plain("registered-service"), Now), "oidc");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["sub"], Is.EqualTo("agent:wl-registered"));
    }

    [Test]
    public async Task The_token_lives_no_longer_than_the_platform_token()
    {
        var response = await LoginAsync(Issuer.Mint("k8s", K8s(), Now, lifetime: TimeSpan.FromSeconds(60)), "k8s");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(response.Body["expires_in"]!.GetValue<long>(), Is.LessThanOrEqualTo(60));
    }

    [Test]
    public async Task The_login_is_audited_with_the_workload()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await LoginAsync(K8sToken(), "k8s", "search:web");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var record = (await Server.AuditAsync(new AuditQuery { AgentId = "wl-k8s", Outcome = AuditOutcome.Issued, From = since }))
            .Single(r => r.TokenId == (string?)TokenEndpoint.Payload(response.AccessToken)["jti"]);
        Assert.That(record.WorkloadIssuer, Is.EqualTo(Issuer.IssuerOf("k8s")));
        Assert.That(record.WorkloadSubject, Is.EqualTo("system:serviceaccount:agents:wl-k8s"));
        Assert.That(record.ScopesGranted, Is.EqualTo("search:web"));
        Assert.That(record.ClientId, Is.Null, "no client authenticated: the platform token was the credential");
    }

    [Test]
    public async Task An_agent_with_no_secret_logs_in_by_workload_and_then_acts_for_alice()
    {
        var alice = await UserConsentFlow.UserTokenAsync(Server, "wl-k8s", null, "read:articles");
        var agentToken = (await LoginAsync(K8sToken(), "k8s")).AccessToken;
        var delegated = await ExchangeAsync(alice, agentToken);
        Assert.That(delegated.Status, Is.EqualTo(HttpStatusCode.OK), delegated.ToString());
        var payload = TokenEndpoint.Payload(delegated.AccessToken);
        Assert.That((string?)payload["sub"], Is.EqualTo("user:alice"));
        Assert.That((string?)payload["act"]!["sub"], Is.EqualTo("agent:wl-k8s"));
    }

    [Test]
    public async Task A_thousand_random_kids_cause_at_most_one_fetch_per_throttle_window()
    {
        Assert.That((await LoginAsync(Issuer.Mint("storm", Plain("storm-service"), Now), "storm")).Status, Is.EqualTo(HttpStatusCode.OK));
        var before = Issuer.Fetches("storm");
        var started = DateTimeOffset.UtcNow;
        var codes = new System.Collections.Concurrent.ConcurrentBag<string?>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var token = Issuer.Mint("storm", Plain("storm-service"), Now, WithKid(Issuer.RsaKey("storm"), "random-" + Guid.NewGuid().ToString("N")));
            codes.Add((await LoginAsync(token, "storm"))["error_code"]);
        });
        var elapsed = DateTimeOffset.UtcNow - started;
        var fetches = Issuer.Fetches("storm") - before;
        var windows = (int)Math.Ceiling(elapsed.TotalSeconds / 30) + 1;
        TestContext.Out.WriteLine($"fetch storm: 1000 tokens with random kids in {elapsed.TotalSeconds:0.0} s caused {fetches} key fetch(es); allowed at most {windows}");
        Assert.That(codes, Is.All.EqualTo("workload_key_unknown"));
        Assert.That(fetches, Is.LessThanOrEqualTo(windows));
    }

    // ----- refusals: which issuer -----

    [Test]
    public Task An_unknown_subject_issuer_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(K8sToken(), "openshift"), "invalid_grant", "workload_issuer_unknown");

    [Test]
    public Task An_unknown_iss_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("attacker", Plain("service-42"), Now)), "invalid_grant", "workload_issuer_unknown");

    [Test]
    public Task A_subject_issuer_naming_another_trust_than_iss_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(K8sToken(), "github"), "invalid_grant", "workload_issuer_mismatch");

    // ----- refusals: signature, algorithm, keys -----

    [Test]
    public Task A_tampered_payload_is_refused()
    {
        var parts = K8sToken().Split('.');
        var payload = TokenEndpoint.Payload(string.Join('.', parts));
        payload["sub"] = "system:serviceaccount:kube-system:admin";
        var forged = parts[0] + "." + Base64UrlEncoder.Encode(payload.ToJsonString()) + "." + parts[2];
        return AssertWorkloadRefusedAsync(() => LoginAsync(forged, "k8s"), "invalid_grant", "workload_signature_invalid");
    }

    [Test]
    public Task Alg_none_is_refused()
    {
        var header = Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"JWT","kid":"{{Issuer.RsaKey("k8s").KeyId}}"}""");
        var unsigned = header + "." + K8sToken().Split('.')[1] + ".";
        return AssertWorkloadRefusedAsync(() => LoginAsync(unsigned, "k8s"), "invalid_grant", "workload_algorithm_not_allowed");
    }

    [Test]
    public Task HS256_signed_with_the_issuers_public_key_is_refused()
    {
        var publicKey = Issuer.RsaKey("k8s").Rsa.ExportSubjectPublicKeyInfoPem();
        var hmac = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(publicKey)) { KeyId = Issuer.RsaKey("k8s").KeyId };
        var token = Issuer.Mint("k8s", K8s(), Now, hmac, SecurityAlgorithms.HmacSha256);
        return AssertWorkloadRefusedAsync(() => LoginAsync(token, "k8s"), "invalid_grant", "workload_algorithm_not_allowed");
    }

    [Test]
    public Task An_algorithm_outside_the_issuers_list_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("spiffe", Plain("spiffe://acme.test/agents/wl-spiffe"), Now), "spiffe"),
            "invalid_grant", "workload_algorithm_not_allowed");

    [Test]
    public Task RS384_is_refused_when_only_the_defaults_are_allowed() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(), Now, algorithm: SecurityAlgorithms.RsaSha384), "k8s"),
            "invalid_grant", "workload_algorithm_not_allowed");

    [Test]
    public Task An_ES256_token_naming_the_RSA_keys_kid_is_refused()
    {
        var attacker = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = Issuer.RsaKey("k8s").KeyId };
        return AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(), Now, attacker), "k8s"), "invalid_grant", "workload_signature_invalid");
    }

    [Test]
    public Task An_unknown_kid_is_refused_after_a_refresh() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(), Now, WithKid(Issuer.RsaKey("k8s"), "no-such-key")), "k8s"),
            "invalid_grant", "workload_key_unknown");

    [Test]
    public Task A_token_claiming_one_issuer_signed_with_another_issuers_key_is_refused()
    {
        // GitHub's claims, signed with the Kubernetes issuer's key (and kid): that key is not in GitHub's JWKS.
        var token = Issuer.Mint("github", GitHub(), Now, Issuer.RsaKey("k8s"));
        return AssertWorkloadRefusedAsync(() => LoginAsync(token, "github"), "invalid_grant", "workload_key_unknown");
    }

    [Test]
    public Task A_token_naming_the_issuers_kid_but_signed_by_another_issuers_key_is_refused()
    {
        var impostor = new RsaSecurityKey(Issuer.RsaKey("k8s").Rsa) { KeyId = Issuer.RsaKey("github").KeyId };
        return AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("github", GitHub(), Now, impostor), "github"), "invalid_grant", "workload_signature_invalid");
    }

    [Test]
    public Task An_attacker_key_in_the_jwk_header_is_ignored()
    {
        var attacker = new RsaSecurityKey(RSA.Create(2048)) { KeyId = Issuer.RsaKey("k8s").KeyId };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(attacker.Rsa.ExportParameters(false)));
        var token = Issuer.Mint("k8s", K8s(), Now, attacker, header: new Dictionary<string, object>
        {
            ["jwk"] = new Dictionary<string, object> { ["kty"] = "RSA", ["n"] = jwk.N, ["e"] = jwk.E },
        });
        return AssertWorkloadRefusedAsync(() => LoginAsync(token, "k8s"), "invalid_grant", "workload_signature_invalid");
    }

    [Test]
    public async Task A_jku_header_is_never_fetched()
    {
        var attacker = Issuer.RsaKey("attacker");
        var token = Issuer.Mint("k8s", K8s(), Now, attacker, header: new Dictionary<string, object> { ["jku"] = Issuer.JwksOf("attacker").AbsoluteUri });
        await AssertWorkloadRefusedAsync(() => LoginAsync(token, "k8s"), "invalid_grant", "workload_key_unknown");
        Assert.That(Issuer.Fetches("attacker"), Is.Zero, "no request went to the jku URL");
    }

    [Test]
    public Task An_issuer_whose_keys_live_on_a_private_address_is_refused_unless_marked_in_cluster() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("nolocal", Plain("nolocal-service"), Now), "nolocal"), "invalid_grant", "workload_keys_unavailable");

    [TestCase("redirect", TestName = "A_JWKS_redirect_is_not_followed")]
    [TestCase("huge", TestName = "A_JWKS_larger_than_the_cap_is_refused")]
    [TestCase("many", TestName = "A_JWKS_with_more_keys_than_the_cap_is_refused")]
    public async Task A_misbehaving_key_endpoint_yields_no_keys(string issuer)
    {
        Issuer.SetMisbehaviour(issuer, issuer);
        await AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint(issuer, Plain(issuer + "-service"), Now), issuer), "invalid_grant", "workload_keys_unavailable");
        Assert.That(Issuer.Fetches(issuer), Is.EqualTo(1), "asked once");
        Assert.That(Issuer.Fetches("attacker"), Is.Zero, "the redirect target was never fetched");
    }

    // ----- refusals: times and audience -----

    [Test]
    public Task An_expired_token_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", new Dictionary<string, object>(K8s())
        {
            ["iat"] = Now.AddHours(-2).ToUnixTimeSeconds(), ["exp"] = Now.AddMinutes(-5).ToUnixTimeSeconds(),
        }, Now), "k8s"), "invalid_grant", "workload_token_expired");

    [Test]
    public Task A_token_not_valid_yet_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", new Dictionary<string, object>(K8s()) { ["nbf"] = Now.AddMinutes(10).ToUnixTimeSeconds() }, Now), "k8s"),
            "invalid_grant", "workload_token_not_yet_valid");

    [Test]
    public Task A_token_issued_in_the_future_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", new Dictionary<string, object>(K8s()) { ["iat"] = Now.AddMinutes(10).ToUnixTimeSeconds() }, Now), "k8s"),
            "invalid_grant", "workload_token_not_yet_valid");

    [Test]
    public Task A_token_older_than_the_maximum_age_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", new Dictionary<string, object>(K8s()) { ["iat"] = Now.AddHours(-25).ToUnixTimeSeconds() }, Now), "k8s"),
            "invalid_grant", "workload_token_too_old");

    [Test]
    public Task A_token_without_iat_is_refused()
    {
        var parts = K8sToken().Split('.');
        var claims = K8s();
        claims["iss"] = Issuer.IssuerOf("k8s");
        claims["exp"] = Now.AddMinutes(30).ToUnixTimeSeconds();
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(Issuer.RsaKey("k8s"), SecurityAlgorithms.RsaSha256),
        });
        Assert.That(parts, Has.Length.EqualTo(3));
        return AssertWorkloadRefusedAsync(() => LoginAsync(token, "k8s"), "invalid_grant", "workload_token_too_old");
    }

    [Test]
    public Task A_token_living_longer_than_allowed_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(), Now, lifetime: TimeSpan.FromHours(25)), "k8s"), "invalid_grant", "workload_token_lifetime_too_long");

    [Test]
    public Task A_token_for_another_audience_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(audience: "some-other-service"), Now), "k8s"), "invalid_grant", "workload_audience_invalid");

    [Test]
    public Task A_token_for_the_Kubernetes_API_server_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(audience: "https://kubernetes.default.svc"), Now), "k8s"), "invalid_grant", "workload_audience_invalid");

    [Test]
    public Task A_token_without_audience_is_refused()
    {
        var claims = K8s();
        claims.Remove("aud");
        return AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", claims, Now), "k8s"), "invalid_grant", "workload_audience_invalid");
    }

    // ----- refusals: who is bound -----

    [Test]
    public Task A_service_account_of_another_namespace_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(ns: "default"), Now), "k8s"), "invalid_grant", "workload_not_bound");

    [Test]
    public Task A_recreated_service_account_with_another_uid_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(uid: Guid.NewGuid().ToString()), Now), "k8s"), "invalid_grant", "workload_not_bound");

    [Test]
    public Task A_GitHub_token_of_another_repository_with_the_right_audience_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("github", GitHub("mallory/agents", "999999"), Now), "github"), "invalid_grant", "workload_not_bound");

    [Test]
    public Task A_GitHub_repository_recreated_under_the_same_name_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("github", GitHub(repositoryId: "777777"), Now), "github"), "invalid_grant", "workload_not_bound");

    [Test]
    public Task A_workload_bound_to_no_agent_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("oidc", Plain("nobody"), Now), "oidc"), "invalid_grant", "workload_not_bound");

    [Test]
    public async Task A_workload_bound_to_two_agents_is_refused()
    {
        // The registry and start-up checks refuse a second binding; this one is written to the store directly, as an
        // inconsistent database would have it, and login still refuses rather than picking one.
        await Server.WithServiceAsync<bool, IWorkloadBindingStore>(async store =>
        {
            await store.ReplaceAsync("wl-pinned", [WorkloadBinding.Exact("wl-pinned", "oidc", "twice-bound")], default);
            return true;
        });
        await AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("oidc", Plain("twice-bound"), Now), "oidc"), "invalid_grant", "workload_binding_ambiguous");
    }

    [Test]
    public async Task The_registry_refuses_to_bind_a_workload_already_bound_to_another_agent()
    {
        var result = await Server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "wl-hijacker",
            DisplayName = "Hijacker",
            Owner = "tests",
            Capabilities = ["search:web"],
            WorkloadBindings = [WorkloadBinding.Exact("", "oidc", "service-42")],
        }).AsTask());
        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Errors.Select(e => e.Field), Does.Contain("WorkloadBindings[0].Subject"));
        var response = await LoginAsync(Issuer.Mint("oidc", Plain("service-42"), Now), "oidc");
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["sub"], Is.EqualTo("agent:wl-oidc"), "the rightful agent still logs in");
    }

    [Test]
    public async Task A_token_without_kid_verifies_with_an_issuers_only_key()
    {
        var response = await LoginAsync(Issuer.Mint("single", Plain("single-service"), Now, WithKid(Issuer.RsaKey("single"), null!)), "single");
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public Task A_token_meant_for_several_audiences_is_refused()
    {
        var claims = K8s();
        claims["aud"] = new[] { Audience, "another-service" };
        return AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", claims, Now), "k8s"), "invalid_grant", "workload_audience_invalid");
    }

    [Test]
    public Task An_audience_differing_by_a_trailing_slash_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", K8s(audience: Audience + "/"), Now), "k8s"), "invalid_grant", "workload_audience_invalid");

    [Test]
    public Task A_workload_bound_to_an_unregistered_agent_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("oidc", Plain("ghost-service"), Now), "oidc"), "invalid_grant", "agent_unknown");

    [Test]
    public Task A_workload_of_a_suspended_agent_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("oidc", Plain("suspended-service"), Now), "oidc"), "invalid_grant", "agent_suspended");

    [Test]
    public Task A_workload_of_a_revoked_agent_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("oidc", Plain("revoked-service"), Now), "oidc"), "invalid_grant", "agent_revoked");

    [Test]
    public Task A_scope_beyond_the_agents_capabilities_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(K8sToken(), "k8s", "read:articles admin:all"), "invalid_scope", "scope_not_in_capabilities");

    // ----- refusals: the request itself -----

    [Test]
    public Task A_JWE_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", "k8s"), "invalid_request", "workload_token_malformed", expectWorkloadInAudit: false);

    [Test]
    public Task A_JSON_serialized_token_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync("""{"payload":"x","signatures":[{"protected":"y","signature":"z"}]}""", "k8s"), "invalid_request", "workload_token_malformed", expectWorkloadInAudit: false);

    [Test]
    public Task A_token_over_16_KB_is_refused()
    {
        var claims = K8s();
        claims["padding"] = new string('x', 17 * 1024);
        return AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", claims, Now), "k8s"), "invalid_request", "workload_token_too_large", expectWorkloadInAudit: false);
    }

    [Test]
    public Task A_duplicated_subject_token_is_refused()
    {
        var token = K8sToken();
        return AssertWorkloadRefusedAsync(() => LoginAsync(token, "k8s", null, ("subject_token", token)), "invalid_request", "parameter_duplicated", expectWorkloadInAudit: false);
    }

    [Test]
    public Task A_duplicated_subject_issuer_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(K8sToken(), "k8s", null, ("subject_issuer", "github")), "invalid_request", "parameter_duplicated", expectWorkloadInAudit: false);

    [Test]
    public async Task A_platform_token_cannot_be_combined_with_an_actor_token()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertWorkloadRefusedAsync(() => LoginAsync(K8sToken(), "k8s", null, ("actor_token", actor), ("actor_token_type", TokenEndpoint.AccessTokenType)),
            "invalid_request", "subject_token_type_unsupported", expectWorkloadInAudit: false);
    }

    [Test]
    public Task A_token_without_subject_is_refused()
    {
        var claims = K8s();
        claims.Remove("sub");
        return AssertWorkloadRefusedAsync(() => LoginAsync(Issuer.Mint("k8s", claims, Now), "k8s"), "invalid_grant", "workload_token_invalid");
    }

    [Test]
    public Task A_client_named_beside_a_workload_token_is_refused() =>
        AssertWorkloadRefusedAsync(() => LoginAsync(K8sToken(), "k8s", null, ("client_id", "wl-github")), "invalid_request", "parameter_not_allowed", expectWorkloadInAudit: false);
}
