using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LumoAuth.Agents.Client.Dpop;
using LumoAuth.Agents.Client;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Dpop;

/// <summary>
/// DPoP (RFC 9449) end to end over real HTTP: the token endpoint binds an agent's token to the key that proved the
/// request, refuses a bad proof (audited), a replayed one (also on a second instance sharing the database), and an
/// exchange whose bound actor token comes without its key; a resource accepts a bound token only as DPoP with a proof by
/// that key for that request and that token, and never as a bearer token.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public sealed class DpopTests(DatabaseKind database) : AgentServerFixture(database)
{
    private LibraryApiHost _api = null!;
    private DpopKey _key = null!;

    [OneTimeSetUp]
    public async Task StartApiAsync()
    {
        _api = await LibraryApiHost.StartAsync((LibraryServer)Server);
        _key = DpopKey.Generate();
    }

    [OneTimeTearDown]
    public async Task StopApiAsync()
    {
        _key.Dispose();
        await _api.DisposeAsync();
    }

    private Uri TokenUri => new(Server.BaseAddress, "connect/token");

    private Uri Articles => new(_api.BaseAddress, "articles");

    /// <summary>Client credentials for <paramref name="agentId"/> with a DPoP header (or several, or none).</summary>
    private async Task<TokenResponse> ClientCredentialsAsync(string agentId, params string[] proofs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenUri)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = agentId, ["client_secret"] = SecretOf(agentId), ["scope"] = "read:articles",
            }),
        };
        foreach (var proof in proofs)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        return await SendAsync(request);
    }

    private async Task<TokenResponse> ExchangeWithProofAsync(string subjectToken, string actorToken, string? proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenUri)
        {
            Content = new FormUrlEncodedContent(TokenEndpoint.Exchange(subjectToken, actorToken, "search:web", null).Select(p => KeyValuePair.Create(p.Name, p.Value))),
        };
        if (proof is not null)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        return await SendAsync(request);
    }

    private async Task<TokenResponse> SendAsync(HttpRequestMessage request)
    {
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new TokenResponse(response.StatusCode, System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject());
    }

    private string Proof(Uri uri, string method = "POST", string? token = null, DpopKey? key = null) =>
        (key ?? _key).CreateProof(method, uri, DateTimeOffset.UtcNow, token);

    private static string? Jkt(string token) =>
        TokenEndpoint.Payload(token)["cnf"]?["jkt"]?.GetValue<string>();

    private async Task<HttpResponseMessage> CallAsync(string scheme, string token, string? proof)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Articles);
        request.Headers.Authorization = new AuthenticationHeaderValue(scheme, token);
        if (proof is not null)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        using var client = new HttpClient();
        return await client.SendAsync(request);
    }

    private async Task<string> BoundTokenAsync(string agentId = "plain-bot", DpopKey? key = null)
    {
        var response = await ClientCredentialsAsync(agentId, Proof(TokenUri, key: key));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        return response.AccessToken;
    }

    [Test]
    public async Task Discovery_names_the_accepted_proof_algorithms()
    {
        using var metadata = JsonDocument.Parse(await Client.GetStringAsync(new Uri(".well-known/oauth-authorization-server", UriKind.Relative)));
        Assert.That(metadata.RootElement.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()), Does.Contain("ES256").And.Not.Contain("HS256"));
    }

    [Test]
    public async Task A_proven_client_credentials_request_gets_a_token_bound_to_the_key()
    {
        var response = await ClientCredentialsAsync("plain-bot", Proof(TokenUri));
        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
            Assert.That(response["token_type"], Is.EqualTo("DPoP"));
            Assert.That(Jkt(response.AccessToken), Is.EqualTo(_key.Thumbprint), "RFC 9449 §6.1: cnf.jkt");
        });
    }

    [Test]
    public async Task A_request_without_a_proof_still_gets_a_bearer_token()
    {
        var response = await ClientCredentialsAsync("plain-bot");
        Assert.Multiple(() =>
        {
            Assert.That(response["token_type"], Is.EqualTo("Bearer"));
            Assert.That(Jkt(response.AccessToken), Is.Null);
        });
    }

    [Test]
    public async Task A_proof_for_another_uri_is_refused_at_the_token_endpoint() =>
        await AssertRefusedAsync(() => ClientCredentialsAsync("plain-bot", Proof(new Uri(Server.BaseAddress, "connect/other"))), "invalid_dpop_proof", "dpop_proof_invalid");

    [Test]
    public async Task Two_proofs_are_refused_at_the_token_endpoint() =>
        await AssertRefusedAsync(() => ClientCredentialsAsync("plain-bot", Proof(TokenUri), Proof(TokenUri)), "invalid_dpop_proof", "dpop_proof_invalid");

    [Test]
    public async Task A_replayed_proof_is_refused_at_the_token_endpoint()
    {
        var proof = Proof(TokenUri);
        Assert.That((await ClientCredentialsAsync("plain-bot", proof)).Status, Is.EqualTo(HttpStatusCode.OK));
        await AssertRefusedAsync(() => ClientCredentialsAsync("plain-bot", proof), "invalid_dpop_proof", "dpop_proof_invalid");
    }

    [Test]
    public async Task A_proof_spent_on_one_instance_is_refused_by_another_sharing_the_database()
    {
        await using var second = await LibraryServer.StartAsync(new LibraryServerOptions { SharedWith = (LibraryServer)Server });
        var proof = Proof(TokenUri);
        Assert.That((await ClientCredentialsAsync("plain-bot", proof)).Status, Is.EqualTo(HttpStatusCode.OK));

        // The second instance sits behind the same public name: the copy reaches its socket with the same Host.
        using var copy = new HttpRequestMessage(HttpMethod.Post, new Uri(second.BaseAddress, "connect/token"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = "plain-bot", ["client_secret"] = TestSecret, ["scope"] = "read:articles",
            }),
        };
        copy.Headers.Host = Server.BaseAddress.Authority;
        copy.Headers.TryAddWithoutValidation("DPoP", proof);
        using var client = new HttpClient();
        using var response = await client.SendAsync(copy);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(body, Does.Contain("invalid_dpop_proof").And.Contain("used before"));
        });
    }

    [Test]
    public async Task An_exchange_with_a_bound_actor_token_needs_a_proof_by_its_key()
    {
        var actor = await BoundTokenAsync("other-bot");
        var alice = await UserConsentFlow.UserTokenAsync(Server, "other-bot", TestSecret, "search:web");
        using var stranger = DpopKey.Generate();
        await AssertRefusedAsync(() => ExchangeWithProofAsync(alice, actor, null), "invalid_dpop_proof", "dpop_proof_invalid");
        await AssertRefusedAsync(() => ExchangeWithProofAsync(alice, actor, Proof(TokenUri, key: stranger)), "invalid_dpop_proof", "dpop_proof_invalid");

        var delegated = await ExchangeWithProofAsync(alice, actor, Proof(TokenUri));
        Assert.Multiple(() =>
        {
            Assert.That(delegated.Status, Is.EqualTo(HttpStatusCode.OK), delegated.ToString());
            Assert.That(delegated["token_type"], Is.EqualTo("DPoP"));
            Assert.That(Jkt(delegated.AccessToken), Is.EqualTo(_key.Thumbprint), "the delegated token is bound to the actor's key");
            Assert.That((string?)TokenEndpoint.Payload(delegated.AccessToken)["sub"], Is.EqualTo("user:alice"));
        });
    }

    [Test]
    public async Task A_resource_accepts_a_bound_token_with_a_proof_by_its_key()
    {
        var token = await BoundTokenAsync();
        using var response = await CallAsync("DPoP", token, Proof(Articles, "GET", token));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task A_bound_token_sent_as_a_bearer_token_is_refused()
    {
        var token = await BoundTokenAsync();
        using var response = await CallAsync("Bearer", token, null);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer").And.Contain("error=\"invalid_token\"").And.Contain("bound to a key"));
        });
    }

    [TestCase("no proof", TestName = "A bound token without a proof is refused at the resource")]
    [TestCase("another key", TestName = "A proof by another key than cnf.jkt is refused at the resource")]
    [TestCase("another token", TestName = "A proof for another token (ath) is refused at the resource")]
    [TestCase("another method", TestName = "A proof for another method is refused at the resource")]
    [TestCase("another uri", TestName = "A proof for another URI is refused at the resource")]
    [TestCase("replayed", TestName = "A replayed proof is refused at the resource")]
    public async Task A_bad_proof_at_the_resource_is_a_dpop_challenge(string variant)
    {
        var token = await BoundTokenAsync();
        using var stranger = DpopKey.Generate();
        string? proof = variant switch
        {
            "no proof" => null,
            "another key" => Proof(Articles, "GET", token, stranger),
            "another token" => Proof(Articles, "GET", token + "x"),
            "another method" => Proof(Articles, "POST", token),
            "another uri" => Proof(new Uri(_api.BaseAddress, "search"), "GET", token),
            _ => Proof(Articles, "GET", token),
        };
        if (variant == "replayed")
        {
            using var first = await CallAsync("DPoP", token, proof);
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using var response = await CallAsync("DPoP", token, proof);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(challenge, Does.StartWith("DPoP").And.Contain("error=\"invalid_dpop_proof\"").And.Contain("algs=\"ES256"), "RFC 9449 §7.1");
        });
    }

    [Test]
    public async Task A_bearer_token_sent_as_dpop_is_refused()
    {
        var token = (await ClientCredentialsAsync("plain-bot")).AccessToken;
        using var response = await CallAsync("DPoP", token, Proof(Articles, "GET", token));
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("not bound to a key"));
        });
    }

    [Test]
    public async Task The_client_package_gets_bound_tokens_and_calls_apis_with_proofs_and_a_stolen_token_is_useless()
    {
        using var key = DpopKey.Generate();
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o =>
        {
            o.TokenEndpoint = TokenUri;
            o.ClientId = "plain-bot";
            o.ClientSecret = TestSecret;
            o.DpopKey = key;
        });
        services.AddHttpClient("api", c => c.BaseAddress = _api.BaseAddress).AddAgentToken("read:articles");
        await using var provider = services.BuildServiceProvider();
        var tokens = provider.GetRequiredService<AgentTokenClient>();
        using var api = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");

        using var first = await api.GetAsync(new Uri("articles", UriKind.Relative));
        using var second = await api.GetAsync(new Uri("articles", UriKind.Relative));
        var token = await tokens.GetAgentTokenAsync("read:articles");
        using var stolen = await CallAsync("Bearer", token, null);
        using var stolenAsDpop = await CallAsync("DPoP", token, Proof(Articles, "GET", token)); // the thief's own key
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a proof per request");
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a new proof for the second request, same cached token");
            Assert.That(tokens.TokenRequests, Is.EqualTo(1), "one token, cached");
            Assert.That(Jkt(token), Is.EqualTo(key.Thumbprint), "bound to the agent's key");
            Assert.That(stolen.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "replayed as a bearer token");
            Assert.That(stolenAsDpop.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "replayed with a proof by another key");
        });
    }

    /// <summary>strict-bot: registered for sender-constrained tokens only, may act for users.</summary>
    private async Task RegisterStrictBotAsync()
    {
        var result = await Server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(async registry =>
            await registry.FindAsync("strict-bot") is { } existing
                ? new AgentRegistrationResult { Agent = existing }
                : await registry.RegisterAsync(new AgentRegistration
                {
                    Id = "strict-bot", DisplayName = "Strict Bot", Owner = "tests", Capabilities = ["search:web", "read:articles", "delegate:user"],
                    DefaultScopes = ["search:web"], CanActForUsers = true, ClientSecret = TestSecret, RequireSenderConstrainedTokens = true,
                    RedirectUris = [new Uri(UserConsentFlow.RedirectUri)],
                }));
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
    }

    /// <summary>Alice's token for <paramref name="agentId"/> by the code flow, the code redeemed with a proof by <paramref name="key"/>.</summary>
    private async Task<TokenResponse> AliceTokenAsync(string agentId, DpopKey? key)
    {
        using var browser = Server.Browser();
        const string verifier = "dpop-tests-pkce-verifier-0123456789abcdefghijklmnop";
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var query = Microsoft.AspNetCore.Http.QueryString.Create(new Dictionary<string, string?>
        {
            ["client_id"] = agentId, ["response_type"] = "code", ["redirect_uri"] = UserConsentFlow.RedirectUri, ["scope"] = "search:web",
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256", ["state"] = "s", ["login_hint"] = "alice",
        });
        using var authorize = await browser.GetAsync(new Uri("/connect/authorize" + query, UriKind.Relative));
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(authorize.Headers.Location!.Query)["code"].ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenUri)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = UserConsentFlow.RedirectUri, ["client_id"] = agentId,
                ["client_secret"] = TestSecret, ["code_verifier"] = verifier,
            }),
        };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("DPoP", Proof(TokenUri, key: key));
        }

        return await SendAsync(request);
    }

    [Test]
    public async Task An_agent_registered_for_sender_constrained_tokens_never_gets_a_bearer_token()
    {
        await RegisterStrictBotAsync();
        var profile = await Server.WithServiceAsync<AgentProfile?, IAgentStore>(store => store.FindAsync("strict-bot", default).AsTask());
        Assert.That(profile!.RequireSenderConstrainedTokens, Is.True, "kept by the store");
        await AssertRefusedAsync(() => ClientCredentialsAsync("strict-bot"), "invalid_dpop_proof", "dpop_proof_required");
        await AssertRefusedAsync(() => AliceTokenAsync("strict-bot", null), "invalid_dpop_proof", "dpop_proof_required");
        var bound = await ClientCredentialsAsync("strict-bot", Proof(TokenUri));
        var alice = await AliceTokenAsync("strict-bot", _key);
        Assert.Multiple(() =>
        {
            Assert.That(bound["token_type"], Is.EqualTo("DPoP"), bound.ToString());
            Assert.That(alice["token_type"], Is.EqualTo("DPoP"), alice.ToString());
            Assert.That(Jkt(alice.AccessToken), Is.EqualTo(_key.Thumbprint), "the user's token for the agent is bound to it too");
        });
    }

    [Test]
    public async Task With_sender_constrained_tokens_a_stolen_token_pair_is_useless_for_the_seeds_anonymous_exchange()
    {
        await RegisterStrictBotAsync();
        var subject = (await AliceTokenAsync("strict-bot", _key)).AccessToken;
        var actor = (await ClientCredentialsAsync("strict-bot", Proof(TokenUri))).AccessToken;
        using var thief = DpopKey.Generate();

        // The seed's pattern 3 request names no client: the actor token alone proves the agent. Stolen, the pair needs the key.
        await AssertRefusedAsync(() => ExchangeWithProofAsync(subject, actor, null), "invalid_dpop_proof", "dpop_proof_invalid");
        await AssertRefusedAsync(() => ExchangeWithProofAsync(subject, actor, Proof(TokenUri, key: thief)), "invalid_dpop_proof", "dpop_proof_invalid");
        var owner = await ExchangeWithProofAsync(subject, actor, Proof(TokenUri));
        Assert.That(owner.Status, Is.EqualTo(HttpStatusCode.OK), "the agent itself, with its key: " + owner);
    }

    [Test]
    public async Task The_admin_api_registers_and_changes_the_requirement()
    {
        var admin = (await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin")).AccessToken;
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body, string? ifMatch = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(LibraryServer.AdminPath + path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }

            request.Content = body is null ? null : System.Net.Http.Json.JsonContent.Create(body);
            return await Client.SendAsync(request);
        }

        using var created = await SendAsync(HttpMethod.Post, "", new Dictionary<string, object>
        {
            ["id"] = "toggle-bot", ["display_name"] = "Toggle Bot", ["owner"] = "tests", ["capabilities"] = new[] { "read:articles" },
            ["require_sender_constrained_tokens"] = true,
        });
        var body = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToJsonString());
            Assert.That(body["agent"]!["require_sender_constrained_tokens"]!.GetValue<bool>(), Is.True);
        });

        using var patched = await SendAsync(HttpMethod.Patch, "/toggle-bot", new Dictionary<string, object> { ["require_sender_constrained_tokens"] = false },
            created.Headers.ETag!.ToString());
        var after = System.Text.Json.Nodes.JsonNode.Parse(await patched.Content.ReadAsStringAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(patched.StatusCode, Is.EqualTo(HttpStatusCode.OK), after.ToJsonString());
            Assert.That(after["require_sender_constrained_tokens"]!.GetValue<bool>(), Is.False);
        });
    }
}
