using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Client.AAuth;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.AAuth;

/// <summary>
/// Every way a signed AAuth request can be tampered with, forged or misused, sent through the whole server and
/// refused with its stable code, the Signature-Error the drafts define where the signature is at fault, and an
/// audit record. Each case starts from a request that is accepted when left alone.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class AAuthTamperingTests(DatabaseKind database) : AAuthFixture(database)
{
    private string _agentToken = null!;

    private string Thumbprint => OtherAgentKey.Thumbprint!;

    [OneTimeSetUp]
    public async Task AgentTokenAsync() => _agentToken = await AgentTokenAsync("aauth-other", OtherAgentKey);

    private JsonObject Body(string? scope = "read:articles") => AuthBody(_agentToken, ResourceToken("agent:aauth-other", Thumbprint), scope);

    private static SignatureParameters Params(HttpSignatureKey key, DateTimeOffset? created = null, string? nonce = "fresh", DateTimeOffset? expires = null, string? alg = null, string? keyId = "thumbprint") => new()
    {
        Created = created ?? DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        Expires = expires,
        Nonce = nonce == "fresh" ? Guid.NewGuid().ToString("N") : nonce,
        Algorithm = alg,
        KeyId = keyId == "thumbprint" ? key.Thumbprint : keyId,
    };

    [Test]
    public async Task The_untampered_request_is_accepted()
    {
        var body = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, Body(), OtherAgentKey, _agentToken));
        Assert.That((string?)body["auth_token"], Is.Not.Empty);
    }

    [TestCase("covered_header_changed", "invalid_signature")]
    [TestCase("body_changed", "invalid_digest")]
    [TestCase("digest_removed", "invalid_input")]
    [TestCase("digest_not_covered", "invalid_input")]
    [TestCase("target_uri_not_covered", "invalid_input")]
    [TestCase("method_not_covered", "invalid_input")]
    [TestCase("signature_key_not_covered", "invalid_input")]
    [TestCase("empty_component_list", "invalid_input")]
    [TestCase("created_too_old", "expired")]
    [TestCase("created_in_the_future", "clock_skew")]
    [TestCase("created_missing", "invalid_input")]
    [TestCase("expires_passed", "expired")]
    [TestCase("nonce_missing", "invalid_input")]
    [TestCase("nonce_replayed", "replayed")]
    [TestCase("keyid_not_the_cnf_key", "unknown_key")]
    [TestCase("alg_not_the_keys", "unsupported_algorithm")]
    [TestCase("signature_under_another_label", "invalid_input")]
    [TestCase("duplicate_signature_input_labels", "invalid_input")]
    [TestCase("malformed_signature_input", "invalid_input")]
    [TestCase("malformed_signature", "invalid_input")]
    [TestCase("no_signature", "invalid_input")]
    [TestCase("signed_by_another_key", "invalid_signature")]
    [TestCase("sent_to_another_path", "invalid_signature")]
    [TestCase("signature_key_for_another_label", "invalid_key")]
    [TestCase("malformed_signature_key", "invalid_key")]
    [TestCase("both_carriers", "invalid_input")]
    [TestCase("agent_auth_repeated", "invalid_input")]
    [TestCase("inline_key_on_an_auth_request", "invalid_key")]
    [TestCase("agent_token_tampered", "invalid_jwt")]
    [TestCase("auth_token_as_agent_token", "invalid_jwt")]
    [TestCase("agent_token_differs_from_body", "invalid_key")]
    [TestCase("agent_auth_token_swapped", "invalid_signature")]
    [TestCase("too_many_components", "invalid_input")]
    [TestCase("created_beyond_the_calendar", "invalid_input")]
    public async Task A_tampered_signature_is_refused_with_its_signature_error(string tampering, string signatureError)
    {
        var request = await TamperAsync(tampering);
        var code = signatureError is "invalid_jwt" ? "agent_token_invalid" : "signature_invalid";
        await AssertRefusedAsync(request, 401, "invalid_client", code, signatureError);
    }

    private async Task<HttpRequestMessage> TamperAsync(string tampering)
    {
        var key = OtherAgentKey;
        var now = DateTimeOffset.UtcNow;
        switch (tampering)
        {
            case "covered_header_changed":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r => r.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-16"),
                });
            case "body_changed":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r =>
                    {
                        var original = r.Content!;
                        var bytes = Encoding.UTF8.GetBytes(Body("read:articles search:web").ToJsonString());
                        r.Content = new ByteArrayContent(bytes);
                        foreach (var (name, values) in original.Headers.Where(h => h.Key != "Content-Length"))
                        {
                            r.Content.Headers.TryAddWithoutValidation(name, values);
                        }
                    },
                });
            case "digest_removed":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    Components = ["@method", "@target-uri", "content-type", "signature-key"],
                    After = r => r.Content!.Headers.Remove("Content-Digest"),
                });
            case "digest_not_covered":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Components = ["@method", "@target-uri", "content-type", "signature-key"] });
            case "target_uri_not_covered":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Components = ["@method", "@authority", "content-digest", "signature-key"] });
            case "method_not_covered":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Components = ["@target-uri", "content-digest", "signature-key"] });
            case "signature_key_not_covered":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Components = ["@method", "@target-uri", "content-digest"] });
            case "empty_component_list":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Components = [] });
            case "created_too_old":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key, created: now.AddMinutes(-3)) });
            case "created_in_the_future":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key, created: now.AddMinutes(5)) });
            case "created_missing":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key) with { Created = null } });
            case "expires_passed":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key, expires: now.AddSeconds(-5)) });
            case "nonce_missing":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key, nonce: null) });
            case "nonce_replayed":
            {
                var parameters = Params(key);
                await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = parameters }));
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = parameters });
            }

            case "keyid_not_the_cnf_key":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key, keyId: ResearchBotKey.Thumbprint) });
            case "alg_not_the_keys":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Parameters = Params(key, alg: "ed25519") });
            case "signature_under_another_label":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r => Replace(r, "Signature", v => "other" + v[3..]),
                });
            case "duplicate_signature_input_labels":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r => r.Headers.TryAddWithoutValidation("Signature-Input", "sig=(\"@method\");created=1"),
                });
            case "malformed_signature_input":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { After = r => Replace(r, "Signature-Input", v => v + ";;") });
            case "malformed_signature":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { After = r => Replace(r, "Signature", v => v.Replace(":", "", StringComparison.Ordinal)) });
            case "no_signature":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r =>
                    {
                        r.Headers.Remove("Signature-Input");
                        r.Headers.Remove("Signature");
                    },
                });
            case "signed_by_another_key":
            {
                using var stranger = EcdsaSignatureKey.Generate();
                var request = await SignedAsync(HttpMethod.Post, Endpoint, Body(), stranger, _agentToken, new Signing { Parameters = Params(key) });
                return request;
            }

            case "sent_to_another_path":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { After = r => r.RequestUri = new Uri(Server.BaseAddress, "aauth/agent/token") });
            case "signature_key_for_another_label":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { After = r => Replace(r, "Signature-Key", v => "key2" + v[3..]) });
            case "malformed_signature_key":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r => Replace(r, "Signature-Key", _ => "sig=x509;x5u=\"https://attacker.example/cert\""),
                });
            case "both_carriers":
            {
                var agentAuth = await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { Carrier = SignatureCarrier.AgentAuth });
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r => r.Headers.TryAddWithoutValidation("Agent-Auth", agentAuth.Headers.GetValues("Agent-Auth")),
                });
            }

            case "agent_auth_repeated":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    Carrier = SignatureCarrier.AgentAuth,
                    After = r => r.Headers.TryAddWithoutValidation("Agent-Auth", r.Headers.GetValues("Agent-Auth").First()),
                });
            case "inline_key_on_an_auth_request":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing { InlineKey = true });
            case "agent_token_tampered":
            {
                var parts = _agentToken.Split('.');
                var payload = TokenEndpoint.Payload(_agentToken);
                payload["sub"] = "agent:research-bot";
                var forged = parts[0] + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
                var body = Body();
                body["agent_token"] = forged;
                return await SignedAsync(HttpMethod.Post, Endpoint, body, key, forged);
            }

            case "auth_token_as_agent_token":
            {
                var authToken = (await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken)))["auth_token"]!.GetValue<string>();
                var body = Body();
                body["agent_token"] = authToken;
                return await SignedAsync(HttpMethod.Post, Endpoint, body, key, authToken);
            }

            case "agent_token_differs_from_body":
            {
                var otherToken = await AgentTokenAsync("research-bot", ResearchBotKey);
                var body = Body();
                body["agent_token"] = otherToken;
                return await SignedAsync(HttpMethod.Post, Endpoint, body, key, _agentToken);
            }

            case "agent_auth_token_swapped":
            {
                // Another agent token bound to the same key (aauth-other's second agent token) put into Agent-Auth in transit.
                var other = await AgentTokenAsync("aauth-other", OtherAgentKey);
                var body = Body();
                body.Remove("agent_token");
                return await SignedAsync(HttpMethod.Post, Endpoint, body, key, _agentToken, new Signing
                {
                    Carrier = SignatureCarrier.AgentAuth,
                    After = r => Replace(r, "Agent-Auth", v => v[..v.IndexOf(", jwt=", StringComparison.Ordinal)] + ", jwt=\"" + other + "\""),
                });
            }

            case "too_many_components":
                return await SignedAsync(HttpMethod.Post, new Uri(Endpoint, "?" + string.Join('&', Enumerable.Range(0, 40).Select(i => $"p{i}=x"))), Body(), key, _agentToken, new Signing
                {
                    Components = ["@method", "@target-uri", "content-digest", "content-type", "signature-key", .. Enumerable.Range(0, 40).Select(i => $"\"@query-param\";name=\"p{i}\"")],
                });
            case "created_beyond_the_calendar":
                return await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, _agentToken, new Signing
                {
                    After = r => Replace(r, "Signature-Input", v => System.Text.RegularExpressions.Regex.Replace(v, "created=[0-9]+", "created=999999999999999")),
                });

            default:
                throw new ArgumentOutOfRangeException(nameof(tampering), tampering, null);
        }
    }

    private static void Replace(HttpRequestMessage request, string header, Func<string, string> change)
    {
        var value = request.Headers.GetValues(header).Single();
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, change(value));
    }

    [TestCase("resource_token_for_another_agent", 400, "invalid_grant", "resource_token_agent_mismatch")]
    [TestCase("resource_token_for_another_key", 400, "invalid_grant", "key_binding_mismatch")]
    [TestCase("resource_token_expired", 400, "invalid_grant", "resource_token_invalid")]
    [TestCase("resource_token_too_long_lived", 400, "invalid_grant", "resource_token_invalid")]
    [TestCase("resource_token_for_another_server", 400, "invalid_grant", "resource_token_invalid")]
    [TestCase("resource_token_wrong_type", 400, "invalid_grant", "resource_token_invalid")]
    [TestCase("resource_token_signed_by_another_key", 400, "invalid_grant", "resource_token_invalid")]
    [TestCase("resource_token_from_unknown_resource", 400, "invalid_target", "resource_unknown")]
    [TestCase("resource_token_missing", 400, "invalid_request", "parameter_missing")]
    [TestCase("scope_beyond_the_resource_token", 400, "invalid_scope", "scope_exceeds_resource")]
    [TestCase("scope_beyond_capabilities", 400, "invalid_scope", "scope_not_in_capabilities")]
    [TestCase("resource_not_an_allowed_tool", 400, "invalid_target", "target_not_allowed")]
    [TestCase("unknown_request_type", 400, "invalid_request", "request_type_unsupported")]
    [TestCase("duplicated_parameter", 400, "invalid_request", "parameter_duplicated")]
    [TestCase("not_json", 400, "invalid_request", "protocol_error")]
    [TestCase("refresh_token_garbage", 400, "invalid_grant", "refresh_token_invalid")]
    [TestCase("refresh_token_of_another_agent", 400, "invalid_grant", "refresh_token_invalid")]
    [TestCase("refresh_with_another_key_of_the_same_agent", 400, "invalid_grant", "key_binding_mismatch")]
    [TestCase("exchange_without_upstream_token", 400, "invalid_grant", "upstream_token_invalid")]
    [TestCase("agent_request_with_an_unenrolled_key", 401, "invalid_client", "agent_key_not_enrolled")]
    [TestCase("agent_request_for_an_unknown_agent", 401, "invalid_client", "agent_key_not_enrolled")]
    public async Task A_forged_or_misused_token_request_is_refused(string misuse, int status, string error, string code)
    {
        var key = OtherAgentKey;
        var body = Body();
        HttpSignatureKey signer = key;
        var agentToken = _agentToken;
        switch (misuse)
        {
            case "resource_token_for_another_agent":
                body["resource_token"] = ResourceToken("agent:research-bot", Thumbprint);
                break;
            case "resource_token_for_another_key":
                body["resource_token"] = ResourceToken("agent:aauth-other", ResearchBotKey.Thumbprint!);
                break;
            case "resource_token_expired":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-8));
                break;
            case "resource_token_too_long_lived":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, lifetime: TimeSpan.FromHours(1));
                break;
            case "resource_token_for_another_server":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, audience: "https://elsewhere.example/");
                break;
            case "resource_token_wrong_type":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, type: "JWT");
                break;
            case "resource_token_signed_by_another_key":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, key: SearchToolResourceKey);
                break;
            case "resource_token_from_unknown_resource":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, resource: new Uri("https://unknown.example/"));
                break;
            case "resource_token_missing":
                body.Remove("resource_token");
                break;
            case "scope_beyond_the_resource_token":
                body["scope"] = "read:articles search:web";
                break;
            case "scope_beyond_capabilities":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, scope: "read:articles admin:all");
                body["scope"] = "admin:all";
                break;
            case "resource_not_an_allowed_tool":
                body["resource_token"] = ResourceToken("agent:aauth-other", Thumbprint, resource: SearchToolResource, key: SearchToolResourceKey);
                break;
            case "unknown_request_type":
                body["request_type"] = "code";
                break;
            case "duplicated_parameter":
            {
                var text = body.ToJsonString();
                var raw = text[..^1] + ",\"scope\":\"read:articles\"}";
                using var request = await SignedAsync(HttpMethod.Post, Endpoint, body, signer, agentToken);
                var bytes = Encoding.UTF8.GetBytes(raw);
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Content.Headers.TryAddWithoutValidation("Content-Digest", LumoAuth.Agents.HttpSignatures.Digests.ContentDigest.Create(bytes));
                await AssertRefusedAsync(await Resign(request, signer, agentToken), status, error, code);
                return;
            }

            case "not_json":
            {
                using var request = await SignedAsync(HttpMethod.Post, Endpoint, body, signer, agentToken);
                var bytes = Encoding.UTF8.GetBytes("request_type=auth");
                request.Content = new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Content.Headers.TryAddWithoutValidation("Content-Digest", LumoAuth.Agents.HttpSignatures.Digests.ContentDigest.Create(bytes));
                await AssertRefusedAsync(await Resign(request, signer, agentToken), status, error, code);
                return;
            }

            case "refresh_token_garbage":
                body = new JsonObject { ["request_type"] = "refresh", ["refresh_token"] = "not-a-token" };
                break;
            case "refresh_with_another_key_of_the_same_agent":
            {
                // aauth-other enrolled two keys: a refresh token bound to the first is useless under the second.
                var issued = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, Body(), key, agentToken));
                agentToken = await AgentTokenAsync("aauth-other", OtherAgentSecondKey);
                signer = OtherAgentSecondKey;
                body = new JsonObject { ["request_type"] = "refresh", ["refresh_token"] = issued["refresh_token"]!.GetValue<string>() };
                break;
            }

            case "refresh_token_of_another_agent":
            {
                var researchToken = await AgentTokenAsync("research-bot", ResearchBotKey);
                var issued = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(researchToken, ResourceToken("agent:research-bot", ResearchBotKey.Thumbprint!)), ResearchBotKey, researchToken));
                body = new JsonObject { ["request_type"] = "refresh", ["refresh_token"] = issued["refresh_token"]!.GetValue<string>() };
                break; // aauth-other presents research-bot's refresh token with its own key and agent token
            }

            case "exchange_without_upstream_token":
                body["request_type"] = "exchange";
                break;
            case "agent_request_with_an_unenrolled_key":
            {
                using var stranger = Ed25519SignatureKey.Generate();
                await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = "aauth-other" }, stranger, null), status, error, code, "unknown_key");
                return;
            }

            case "agent_request_for_an_unknown_agent":
                await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = "nobody" }, key, null), status, error, code, "unknown_key");
                return;
        }

        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, body, signer, agentToken), status, error, code);
    }

    private static async Task<HttpRequestMessage> Resign(HttpRequestMessage original, HttpSignatureKey key, string agentToken)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri) { Content = new ByteArrayContent(await original.Content!.ReadAsByteArrayAsync()) };
        foreach (var (name, values) in original.Content.Headers)
        {
            copy.Content.Headers.TryAddWithoutValidation(name, values);
        }

        await AAuthRequestSigner.SignAsync(copy, key, agentToken, SignatureCarrier.SignatureHeaders, DateTimeOffset.UtcNow, CancellationToken.None);
        return copy;
    }

    [Test]
    public async Task Suspended_and_revoked_agents_get_nothing_and_a_spent_budget_answers_429()
    {
        using var suspendedKey = Ed25519SignatureKey.Generate();
        await RegisterAsync("aauth-suspended", ["read:articles"], ["test-api"], suspendedKey);
        var token = await AgentTokenAsync("aauth-suspended", suspendedKey);
        await Server.WithServiceAsync<bool, LumoAuth.Agents.IAgentStore>(s => s.SetStatusAsync("aauth-suspended", LumoAuth.Agents.AgentStatus.Suspended, null, default).AsTask());
        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(token, ResourceToken("agent:aauth-suspended", suspendedKey.Thumbprint!)), suspendedKey, token),
            401, "invalid_client", "agent_suspended");
        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = "aauth-suspended" }, suspendedKey, null),
            401, "invalid_client", "agent_suspended");

        using var revokedKey = Ed25519SignatureKey.Generate();
        await RegisterAsync("aauth-revoked", ["read:articles"], ["test-api"], revokedKey, LumoAuth.Agents.AgentStatus.Revoked);
        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = "aauth-revoked" }, revokedKey, null),
            401, "invalid_client", "agent_revoked");

        using var thriftyKey = Ed25519SignatureKey.Generate();
        await RegisterAsync("aauth-thrifty", ["read:articles"], ["test-api"], thriftyKey, budget: new LumoAuth.Agents.BudgetPolicy { MaxApiCallsPerHour = 1 });
        await Server.WithServiceAsync<LumoAuth.Agents.Budgets.BudgetConsumption, LumoAuth.Agents.Budgets.IBudgetLedger>(l =>
            l.ConsumeAsync("aauth-thrifty", LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 1, 1, DateTimeOffset.UtcNow, null, default).AsTask());
        var thriftyToken = await AgentTokenAsync("aauth-thrifty", thriftyKey);
        var request = await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(thriftyToken, ResourceToken("agent:aauth-thrifty", thriftyKey.Thumbprint!)), thriftyKey, thriftyToken);
        await AssertRefusedAsync(request, 429, "temporarily_unavailable", "budget_exhausted");
    }

    [Test]
    public async Task At_the_resource_a_stolen_auth_token_is_useless_without_the_key_and_never_works_as_a_bearer_token()
    {
        var issued = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(_agentToken, ResourceToken("agent:aauth-other", Thumbprint)), OtherAgentKey, _agentToken));
        var stolen = issued["auth_token"]!.GetValue<string>();
        var resource = new Uri(Server.BaseAddress, LibraryServer.ArticlesPath.TrimStart('/'));

        // As a bearer token, unsigned.
        using (var bearer = new HttpRequestMessage(HttpMethod.Get, resource))
        {
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", stolen);
            var response = await Client.SendAsync(bearer);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.GetValues("Signature-Error").Single(), Does.StartWith("error=invalid_input"));
        }

        // Signed by the thief's own agent (research-bot) with its own key: bound to another key.
        var thiefToken = await AgentTokenAsync("research-bot", ResearchBotKey);
        var (status, body, _) = await SendAsync(await SignedAsync(HttpMethod.Get, resource, null, ResearchBotKey, thiefToken, authorization: stolen));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((string?)body["error_description"], Does.Contain("audience").Or.Contain("another key"));

        // An Authorization header added after signing is not covered.
        var added = await SignedAsync(HttpMethod.Get, resource, null, OtherAgentKey, _agentToken, new Signing
        {
            After = r => r.Headers.Authorization = new AuthenticationHeaderValue("AAuth", stolen),
        });
        var (addedStatus, _, addedResponse) = await SendAsync(added);
        Assert.That(addedStatus, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(addedResponse.Headers.GetValues("Signature-Error").Single(), Does.StartWith("error=invalid_input"));
    }

    [Test]
    public async Task A_key_removed_from_the_registry_stops_working_even_under_an_agent_token_issued_before()
    {
        using var key = Ed25519SignatureKey.Generate();
        using var spare = Ed25519SignatureKey.Generate();
        await RegisterAsync("aauth-rotating", ["read:articles"], ["test-api"], key, extraKeys: spare);
        var agentToken = await AgentTokenAsync("aauth-rotating", key);
        await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, ResourceToken("agent:aauth-rotating", key.Thumbprint!)), key, agentToken));

        await UpdateAgentAsync("aauth-rotating", r => r.SigningKeys = [spare.ToPublicJwk().ToJsonString()]);
        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, ResourceToken("agent:aauth-rotating", key.Thumbprint!)), key, agentToken),
            401, "invalid_client", "agent_key_not_enrolled", "unknown_key");

        // Nor can the old agent token buy a new agent token: that request needs an enrolled key.
        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = "aauth-rotating" }, key, agentToken),
            401, "invalid_client", "agent_key_not_enrolled", "unknown_key");
        Assert.That(await AgentTokenAsync("aauth-rotating", spare), Is.Not.Empty, "the remaining key still works");
    }

    [Test]
    public async Task At_a_resource_sharing_the_registry_a_removed_key_stops_at_once_under_an_auth_token_issued_before()
    {
        using var key = Ed25519SignatureKey.Generate();
        using var spare = Ed25519SignatureKey.Generate();
        await RegisterAsync("aauth-resource-rotating", ["read:articles"], ["acme-articles"], key, extraKeys: spare);
        var agentToken = await AgentTokenAsync("aauth-resource-rotating", key);
        var resource = new Uri(Server.BaseAddress, LibraryServer.ArticlesPath.TrimStart('/'));

        var (challengeStatus, challenge, challengeResponse) = await SendAsync(await SignedAsync(HttpMethod.Get, resource, null, key, agentToken));
        Assert.That(challengeStatus, Is.EqualTo(HttpStatusCode.Unauthorized), challenge.ToJsonString());
        Assert.That(challengeResponse.Headers.WwwAuthenticate.ToString(), Does.StartWith("AAuth"), "RFC 9110: every 401 names its scheme");
        var issued = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, (string)challenge["resource_token"]!), key, agentToken));
        var authToken = (string)issued["auth_token"]!;
        var (okStatus, ok, _) = await SendAsync(await SignedAsync(HttpMethod.Get, resource, null, key, agentToken, authorization: authToken));
        Assert.That(okStatus, Is.EqualTo(HttpStatusCode.OK), ok.ToJsonString());

        await UpdateAgentAsync("aauth-resource-rotating", r => r.SigningKeys = [spare.ToPublicJwk().ToJsonString()]);
        var (status, body, response) = await SendAsync(await SignedAsync(HttpMethod.Get, resource, null, key, agentToken, authorization: authToken));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized), body.ToJsonString());
        Assert.That(response.Headers.GetValues("Signature-Error").Single(), Is.EqualTo("error=unknown_key"));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("AAuth error=\"invalid_signature\""));
        Assert.That((string?)body["error_description"], Does.Contain("no longer enrolled"));
    }

    [Test]
    public async Task Every_401_from_the_resource_names_the_AAuth_scheme()
    {
        using var unsigned = new HttpRequestMessage(HttpMethod.Get, new Uri(Server.BaseAddress, LibraryServer.ArticlesPath.TrimStart('/')));
        var response = await Client.SendAsync(unsigned);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("AAuth error="));
    }

    [Test]
    public async Task An_expired_agent_token_is_refused()
    {
        // Mint an agent token that expired a minute ago with the server's own key, as the server would have.
        var expired = await Server.WithServiceAsync<string, LumoAuth.Agents.OpenIddict.AAuth.AAuthTokenService>(tokens => Task.FromResult(tokens.Create(
            "agent+jwt", Issuer, Issuer, "agent:aauth-other",
            new Dictionary<string, object> { ["cnf"] = System.Text.Json.JsonDocument.Parse(new JsonObject { ["jwk"] = OtherAgentKey.ToPublicJwk() }.ToJsonString()).RootElement.Clone() },
            DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddMinutes(-1), out _)));
        var body = AuthBody(expired, ResourceToken("agent:aauth-other", Thumbprint));
        await AssertRefusedAsync(await SignedAsync(HttpMethod.Post, Endpoint, body, OtherAgentKey, expired), 401, "invalid_client", "agent_token_invalid", "expired_jwt");
    }
}
