using System.Net;
using System.Net.Http.Headers;
using LumoAuth.Agents.Client;
using LumoAuth.Agents.Client.Dpop;
using LumoAuth.Agents.Dpop;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Dpop;

/// <summary>
/// DPoP server nonces (RFC 9449 §8, §9) at the token endpoint and at a resource: a proof without the server's nonce, or
/// with a stale or foreign one, is answered <c>use_dpop_nonce</c> with a fresh nonce in <c>DPoP-Nonce</c>; a proof with it
/// passes; and the client package does the round trip by itself.
/// </summary>
public sealed class DpopNonceTests
{
    private const string Secret = "dpop-nonce-secret-for-the-tests-0123456789";
    private LibraryServer _server = null!;
    private LibraryApiHost _api = null!;
    private DpopKey _key = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:Dpop:RequireNonce"] = "true",
            ["LumoAgents:Dpop:NonceSecret"] = Secret,
        });
        _api = await LibraryApiHost.StartAsync(_server, bearer: o =>
        {
            o.Dpop.RequireNonce = true;
            o.Dpop.NonceSecret = Secret + "-api";
        });
        _key = DpopKey.Generate();
        var registered = await _server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "nonce-bot", DisplayName = "Nonce Bot", Owner = "tests", Capabilities = ["read:articles"], DefaultScopes = ["read:articles"],
            ClientSecret = AgentServerFixture.TestSecret,
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True, string.Join("; ", registered.Errors));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _key.Dispose();
        await _api.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static string? Field(string json, string name) => System.Text.Json.Nodes.JsonNode.Parse(json)?[name]?.GetValue<string>();

    private Uri TokenUri => new(_server.BaseAddress, "connect/token");

    private async Task<(HttpResponseMessage Response, string Body)> TokenRequestAsync(string? nonce)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, TokenUri)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = "nonce-bot", ["client_secret"] = AgentServerFixture.TestSecret,
            }),
        };
        request.Headers.TryAddWithoutValidation("DPoP", _key.CreateProof("POST", TokenUri, DateTimeOffset.UtcNow, nonce: nonce));
        using var client = new HttpClient();
        var response = await client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task A_proof_without_the_nonce_is_answered_with_one_and_the_retry_passes()
    {
        var (first, body) = await TokenRequestAsync(null);
        var nonce = first.Headers.TryGetValues("DPoP-Nonce", out var values) ? values.Single() : null;
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(Field(body, "error"), Is.EqualTo("use_dpop_nonce"));
            Assert.That(Field(body, "error_code"), Is.EqualTo("dpop_nonce_required"));
            Assert.That(nonce, Is.Not.Null.And.Not.Empty, "RFC 9449 §8: the nonce to use");
        });
        first.Dispose();

        var (second, secondBody) = await TokenRequestAsync(nonce);
        Assert.Multiple(() =>
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), secondBody);
            Assert.That(Field(secondBody, "token_type"), Is.EqualTo("DPoP"));
            Assert.That(second.Headers.Contains("DPoP-Nonce"), Is.True, "every answer hands out the current nonce");
        });
        second.Dispose();
        var audited = await _server.AuditAsync(new Audit.AuditQuery { ReasonCode = "dpop_nonce_required" });
        Assert.That(audited, Is.Not.Empty, "the refusal is audited");
    }

    [Test]
    public async Task A_foreign_or_stale_nonce_is_refused()
    {
        var foreign = new DpopNonces(System.Text.Encoding.UTF8.GetBytes("another-secret-entirely-0123456789abcdef"), TimeSpan.FromMinutes(5), TimeProvider.System).Current();
        var stale = new DpopNonces(System.Text.Encoding.UTF8.GetBytes(Secret), TimeSpan.FromMinutes(5),
            new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-15))).Current();
        foreach (var nonce in new[] { foreign, stale, "made-up" })
        {
            var (response, body) = await TokenRequestAsync(nonce);
            using (response)
            {
                Assert.That(body, Does.Contain("use_dpop_nonce"), nonce);
            }
        }
    }

    [Test]
    public async Task A_resource_asks_for_its_own_nonce_with_a_dpop_challenge()
    {
        var (tokenResponse, _) = await TokenRequestAsync(null);
        var nonce = tokenResponse.Headers.GetValues("DPoP-Nonce").Single();
        tokenResponse.Dispose();
        var (response, body) = await TokenRequestAsync(nonce);
        response.Dispose();
        var token = System.Text.Json.Nodes.JsonNode.Parse(body)!["access_token"]!.GetValue<string>();

        var articles = new Uri(_api.BaseAddress, "articles");
        using var request = new HttpRequestMessage(HttpMethod.Get, articles);
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.TryAddWithoutValidation("DPoP", _key.CreateProof("GET", articles, DateTimeOffset.UtcNow, token, nonce)); // the token server's nonce, not the API's
        using var client = new HttpClient();
        using var refused = await client.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(refused.Headers.WwwAuthenticate.ToString(), Does.StartWith("DPoP").And.Contain("error=\"use_dpop_nonce\""));
            Assert.That(refused.Headers.Contains("DPoP-Nonce"), Is.True);
        });
    }

    [Test]
    public async Task The_client_package_does_the_nonce_round_trips_by_itself()
    {
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o =>
        {
            o.TokenEndpoint = TokenUri;
            o.ClientId = "nonce-bot";
            o.ClientSecret = AgentServerFixture.TestSecret;
            o.DpopKey = _key;
        });
        services.AddHttpClient("api", c => c.BaseAddress = _api.BaseAddress).AddAgentToken("read:articles");
        await using var provider = services.BuildServiceProvider();
        using var api = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");
        using var first = await api.GetAsync(new Uri("articles", UriKind.Relative));
        using var second = await api.GetAsync(new Uri("articles", UriKind.Relative));
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), "token endpoint and API nonces fetched on the way");
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the API's nonce kept for the next proof");
            Assert.That(provider.GetRequiredService<AgentTokenClient>().TokenRequests, Is.EqualTo(1));
        });
    }
}
