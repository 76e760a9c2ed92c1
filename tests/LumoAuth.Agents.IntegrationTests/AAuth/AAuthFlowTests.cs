using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Client.AAuth;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.IntegrationTests.AAuth;

/// <summary>Seed pattern 4 end to end over real HTTP: the agent signs, the server binds tokens to its key, resources verify.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class AAuthFlowTests(DatabaseKind database) : AAuthFixture(database)
{
    private sealed class Recorder : DelegatingHandler
    {
        public List<(HttpMethod Method, Uri Uri, List<KeyValuePair<string, string[]>> Headers, byte[]? Body)> Sent { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            Sent.Add((request.Method, request.RequestUri!, [.. request.Headers.Select(h => new KeyValuePair<string, string[]>(h.Key, [.. h.Value]))], body));
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private (AAuthClient Client, HttpClient Http, Recorder Recorder) Agent(HttpSignatureKey key, string agentId, SignatureCarrier carrier = SignatureCarrier.SignatureHeaders)
    {
        var options = new OptionsMonitorStub(new AAuthClientOptions { TokenEndpoint = Endpoint, AgentId = agentId, SigningKey = key, Carrier = carrier });
        var client = new AAuthClient(new HttpClient(), options, TimeProvider.System);
        var recorder = new Recorder { InnerHandler = new HttpClientHandler() };
        var http = new HttpClient(new AAuthSigningHandler(client, options, TimeProvider.System) { InnerHandler = recorder }) { BaseAddress = Server.BaseAddress };
        return (client, http, recorder);
    }

    private sealed class OptionsMonitorStub(AAuthClientOptions value) : IOptionsMonitor<AAuthClientOptions>
    {
        public AAuthClientOptions CurrentValue => value;

        public AAuthClientOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<AAuthClientOptions, string?> listener) => null;
    }

    [TestCase(SignatureCarrier.SignatureHeaders)]
    [TestCase(SignatureCarrier.AgentAuth)]
    public async Task Research_bot_signs_with_ed25519_gets_a_key_bound_auth_token_and_the_resource_serves_it_once(SignatureCarrier carrier)
    {
        var (client, http, recorder) = Agent(ResearchBotKey, "research-bot", carrier);
        using (client)
        using (http)
        {
            var response = await http.GetAsync(new Uri(LibraryServer.ArticlesPath.TrimStart('/'), UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            var body = JsonNode.Parse(text)!;
            Assert.That((string?)body["caller"], Is.EqualTo("agent:research-bot"));
            Assert.That((string?)body["subject"], Is.EqualTo("agent:research-bot"));

            // The first call was challenged (401 + resource token), the second carried the auth token.
            Assert.That(recorder.Sent, Has.Count.EqualTo(2));
            var second = recorder.Sent[1];
            Assert.That(second.Headers.Single(h => h.Key == "Authorization").Value[0], Does.StartWith("AAuth "));
            var authToken = second.Headers.Single(h => h.Key == "Authorization").Value[0]["AAuth ".Length..];
            var header = TokenEndpoint.Header(authToken);
            var payload = TokenEndpoint.Payload(authToken);
            Assert.Multiple(() =>
            {
                Assert.That((string?)header["typ"], Is.EqualTo("auth+jwt"));
                Assert.That((string?)payload["sub"], Is.EqualTo("agent:research-bot"));
                Assert.That((string?)payload["aud"], Is.EqualTo("https://api.acme-corp.example/articles"));
                Assert.That((string?)payload["scope"], Is.EqualTo("read:articles"));
                Assert.That((string?)payload["cnf"]!["jkt"], Is.EqualTo(ResearchBotKey.Thumbprint));
            });

            // The same request again, byte for byte: refused by its nonce.
            using var replay = new HttpRequestMessage(second.Method, second.Uri);
            foreach (var (name, values) in second.Headers)
            {
                replay.Headers.TryAddWithoutValidation(name, values);
            }

            var replayed = await Client.SendAsync(replay);
            Assert.That(replayed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(replayed.Headers.GetValues("Signature-Error").Single(), Is.EqualTo("error=replayed"));

            // A second call reuses the cached auth token: one more request, no new challenge.
            var again = await http.GetAsync(new Uri(LibraryServer.ArticlesPath.TrimStart('/'), UriKind.Relative));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(recorder.Sent, Has.Count.EqualTo(3));
        }
    }

    [Test]
    public async Task The_seed_request_shape_with_the_Agent_Auth_header_gets_an_auth_token()
    {
        var agentToken = await AgentTokenAsync("research-bot", ResearchBotKey);
        var request = await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, ResourceToken("agent:research-bot", ResearchBotKey.Thumbprint!)), ResearchBotKey, agentToken,
            new Signing { Carrier = SignatureCarrier.AgentAuth });
        Assert.That(request.Headers.Contains("Agent-Auth"), Is.True);
        Assert.That(request.Headers.Contains("Signature-Input"), Is.False);
        var body = await OkAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That((string?)body["token_type"], Is.EqualTo("auth+jwt"));
            Assert.That((string?)body["scope"], Is.EqualTo("read:articles"));
            Assert.That(body["expires_in"]!.GetValue<long>(), Is.InRange(1, 300));
            Assert.That((string?)body["refresh_token"], Is.Not.Empty);
        });
        var records = await Server.AuditAsync(new LumoAuth.Agents.Audit.AuditQuery { AgentId = "research-bot", Outcome = LumoAuth.Agents.Audit.AuditOutcome.Issued });
        Assert.That(records.Any(r => r.GrantType == "aauth:auth" && r.Audiences == TestApi.AbsoluteUri), Is.True);
    }

    [Test]
    public async Task The_agent_token_carries_the_enrolled_key_and_the_metadata_document_describes_the_endpoint()
    {
        var agentToken = await AgentTokenAsync("research-bot", ResearchBotKey);
        var header = TokenEndpoint.Header(agentToken);
        var payload = TokenEndpoint.Payload(agentToken);
        Assert.Multiple(() =>
        {
            Assert.That((string?)header["typ"], Is.EqualTo("agent+jwt"));
            Assert.That((string?)payload["iss"], Is.EqualTo(Issuer));
            Assert.That((string?)payload["aud"], Is.EqualTo(Issuer));
            Assert.That((string?)payload["sub"], Is.EqualTo("agent:research-bot"));
            Assert.That((string?)payload["jti"], Is.Not.Empty);
            Assert.That((string?)payload["cnf"]!["jwk"]!["x"], Is.EqualTo((string?)ResearchBotKey.ToPublicJwk()["x"]));
            Assert.That((long)payload["exp"]! - (long)payload["iat"]!, Is.EqualTo(3600));
        });

        var metadata = JsonNode.Parse(await Client.GetStringAsync(new Uri(".well-known/aauth-issuer", UriKind.Relative)))!;
        Assert.Multiple(() =>
        {
            Assert.That((string?)metadata["issuer"], Is.EqualTo(Issuer));
            Assert.That((string?)metadata["aauth_token_endpoint"], Is.EqualTo(new Uri(Server.BaseAddress, SeedPath.TrimStart('/')).AbsoluteUri));
            Assert.That((string?)metadata["jwks_uri"], Does.StartWith(Issuer));
            Assert.That(metadata["request_types_supported"]!.AsArray().Select(n => (string?)n), Is.EquivalentTo(new[] { "agent", "auth", "refresh", "exchange" }));
            Assert.That(metadata["signing_algs_values_supported"]!.AsArray().Select(n => (string?)n), Does.Contain("ed25519"));
        });
    }

    [Test]
    public async Task An_agent_token_request_may_name_its_enrolled_key_by_thumbprint_alone_with_the_Agent_Auth_carrier()
    {
        var request = await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = "research-bot" }, ResearchBotKey, null,
            new Signing { Carrier = SignatureCarrier.AgentAuth });
        var body = await OkAsync(request);
        Assert.That((string?)body["token_type"], Is.EqualTo("agent+jwt"));
    }

    [Test]
    public async Task A_refresh_renews_the_auth_token_for_the_same_key_and_re_checks_the_agent()
    {
        var agentToken = await AgentTokenAsync("aauth-other", OtherAgentKey);
        var first = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, ResourceToken("agent:aauth-other", OtherAgentKey.Thumbprint!)), OtherAgentKey, agentToken));
        var refresh = new JsonObject { ["request_type"] = "refresh", ["refresh_token"] = first["refresh_token"]!.GetValue<string>() };
        var renewed = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, refresh, OtherAgentKey, agentToken));
        Assert.That((string?)renewed["auth_token"], Is.Not.EqualTo((string?)first["auth_token"]));
        Assert.That((string?)TokenEndpoint.Payload(renewed["auth_token"]!.GetValue<string>())["cnf"]!["jkt"], Is.EqualTo(OtherAgentKey.Thumbprint));
        Assert.That(renewed["refresh_token"], Is.Null, "the refresh token is kept, not re-issued");
    }

    [Test]
    public async Task An_agent_called_by_another_exchanges_the_upstream_token_and_act_nests_as_in_pattern_3()
    {
        // research-bot gets an auth token to call search-tool (search-tool acting as a resource)...
        var researchToken = await AgentTokenAsync("research-bot", ResearchBotKey);
        var upstream = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint,
            AuthBody(researchToken, ResourceToken("agent:research-bot", ResearchBotKey.Thumbprint!, "search:web", SearchToolResource, SearchToolResourceKey), "search:web"),
            ResearchBotKey, researchToken));

        // ...and search-tool, signing with its own key, exchanges it for a token to the next resource.
        var searchToken = await AgentTokenAsync("search-tool", SearchToolKey);
        var exchange = new JsonObject
        {
            ["request_type"] = "exchange",
            ["agent_token"] = searchToken,
            ["subject_token"] = upstream["auth_token"]!.GetValue<string>(),
            ["resource_token"] = ResourceToken("agent:search-tool", SearchToolKey.Thumbprint!, "search:web"),
            ["scope"] = "search:web",
        };
        var body = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, exchange, SearchToolKey, searchToken));
        var payload = TokenEndpoint.Payload(body["auth_token"]!.GetValue<string>());
        Assert.Multiple(() =>
        {
            Assert.That((string?)payload["sub"], Is.EqualTo("agent:research-bot"), "the original subject keeps acting");
            Assert.That((string?)payload["act"]!["sub"], Is.EqualTo("agent:search-tool"), "the current actor outermost");
            Assert.That((string?)payload["agent"], Is.EqualTo("agent:search-tool"));
            Assert.That((string?)payload["cnf"]!["jkt"], Is.EqualTo(SearchToolKey.Thumbprint));
            Assert.That((string?)payload["aud"], Is.EqualTo(TestApi.AbsoluteUri));
            Assert.That(body["refresh_token"], Is.Null, "an exchanged token gets no refresh token that could outlive the upstream one");
        });
        var records = await Server.AuditAsync(new LumoAuth.Agents.Audit.AuditQuery { AgentId = "search-tool", Outcome = LumoAuth.Agents.Audit.AuditOutcome.Issued });
        Assert.That(records.Any(r => r.GrantType == "aauth:exchange" && r.ChainDescription == "Search Tool, acting for Research Bot"), Is.True,
            string.Join(" | ", records.Select(r => r.ChainDescription)));
    }

    [Test]
    public async Task A_nonce_spent_on_one_server_instance_is_refused_by_another_sharing_the_database()
    {
        await using var second = await LibraryServer.StartAsync(new LibraryServerOptions { SharedWith = Server, ConfigureServices = ConfigureResources });
        var agentToken = await AgentTokenAsync("aauth-other", OtherAgentKey);
        var request = await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, ResourceToken("agent:aauth-other", OtherAgentKey.Thumbprint!)), OtherAgentKey, agentToken);
        // The second instance sits behind the same public name: the copy reaches its socket with the same Host.
        using var copy = new HttpRequestMessage(HttpMethod.Post, new Uri(second.BaseAddress, SeedPath.TrimStart('/')));
        copy.Headers.Host = Server.BaseAddress.Authority;
        foreach (var (name, values) in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }

        copy.Content = new ByteArrayContent(await request.Content!.ReadAsByteArrayAsync());
        foreach (var (name, values) in request.Content.Headers)
        {
            copy.Content.Headers.TryAddWithoutValidation(name, values);
        }

        await OkAsync(request);
        using var secondClient = second.Http();
        var replayed = await secondClient.SendAsync(copy);
        Assert.That(replayed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), await replayed.Content.ReadAsStringAsync());
        Assert.That(replayed.Headers.GetValues("Signature-Error").Single(), Is.EqualTo("error=replayed"));
    }

    [Test]
    public async Task A_trusted_agent_providers_agent_token_works_for_the_agent_it_maps_to()
    {
        using var key = Ed25519SignatureKey.Generate(); // never enrolled here: the provider vouches for it
        var agentToken = ProviderAgentToken("provider-agent-7", key);
        var body = await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(agentToken, ResourceToken("provider-agent-7", key.Thumbprint!)), key, agentToken));
        var payload = TokenEndpoint.Payload(body["auth_token"]!.GetValue<string>());
        Assert.Multiple(() =>
        {
            Assert.That((string?)payload["client_id"], Is.EqualTo("aauth-other"), "the registered agent the provider's agent maps to");
            Assert.That((string?)payload["sub"], Is.EqualTo("agent:aauth-other"));
            Assert.That((string?)payload["agent"], Is.EqualTo("provider-agent-7"), "as the resource knows it");
            Assert.That((string?)payload["cnf"]!["jkt"], Is.EqualTo(key.Thumbprint));
        });

        // An agent the provider does not map, a token for another audience, and a token signed by someone else: refused.
        foreach (var (token, why) in new[]
        {
            (ProviderAgentToken("provider-agent-8", key), "unmapped agent"),
            (ProviderAgentToken("provider-agent-7", key, audience: "https://elsewhere.example/"), "another audience"),
            (ProviderAgentToken("provider-agent-7", key, signer: ResourceKey), "another signer"),
        })
        {
            var (status, refused, _) = await SendAsync(await SignedAsync(HttpMethod.Post, Endpoint, AuthBody(token, ResourceToken("provider-agent-7", key.Thumbprint!)), key, token));
            Assert.That((int)status, Is.EqualTo(401), why);
            Assert.That((string?)refused["error_code"], Is.EqualTo("agent_token_invalid"), why);
        }
    }
}
