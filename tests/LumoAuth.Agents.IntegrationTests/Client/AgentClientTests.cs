using System.Net;
using LumoAuth.Agents.Client;
using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.IntegrationTests.Workload;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace LumoAuth.Agents.IntegrationTests.Client;

/// <summary>
/// The agent client package against the library's test host (SQLite): caching, renewal, one request for many callers,
/// workload login from a rotating token file (the host trusts a test Kubernetes cluster), typed refusals, the handlers.
/// The client's clock is a fake one so renewal can be reached without waiting; the server keeps real time.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public sealed class AgentClientTests(DatabaseKind database) : AgentServerFixture(database)
{
    private readonly Dictionary<string, string?> _settings = new()
    {
        // The strict setting: agents authenticate on exchanges too (RFC 8693 §5); the client does.
        ["LumoAgents:RequireClientAuthenticationForExchange"] = "true",
    };

    private HttpClientFactory _http = null!;
    private TestIssuer _cluster = null!;

    protected override IDictionary<string, string?>? Settings => _settings;

    /// <summary>A Kubernetes cluster the host trusts, whose service accounts research-bot and search-tool log in as their agents.</summary>
    protected override async Task BeforeServerStartsAsync()
    {
        _cluster = await TestIssuer.StartAsync();
        _cluster.Add("kubernetes");
        _cluster.TrustAsKubernetes(_settings, "kubernetes", WorkloadServerFixture.Audience);
        var index = 0;
        foreach (var agent in new[] { "research-bot", "search-tool" })
        {
            var binding = $"LumoAgents:Workload:Bindings:{index++}:";
            _settings[binding + "AgentId"] = agent;
            _settings[binding + "Issuer"] = "kubernetes";
            _settings[binding + "Subject"] = "system:serviceaccount:agents:" + agent;
            _settings[binding + "Claims:kubernetes.io/namespace"] = "agents";
            _settings[binding + "Claims:kubernetes.io/serviceaccount/uid"] = UidOf(agent);
        }
    }

    [OneTimeSetUp]
    public void CreateFactory() => _http = new HttpClientFactory();

    [OneTimeTearDown]
    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    private Uri TokenUri => new(Server.BaseAddress, "t/acme-corp/api/v1/oauth/token");

    private AgentTokenClient ResearchBot(TimeProvider? time = null) => AgentTokenClient.Create(_http,
        new LumoAgentClientOptions { TokenEndpoint = TokenUri, ClientId = "research-bot", ClientSecret = ResearchBotSecret }, time ?? TimeProvider.System);

    [Test]
    public async Task A_token_is_cached_until_shortly_before_it_expires_then_renewed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = ResearchBot(clock);
        var first = await client.GetAgentTokenAsync("read:articles");
        var again = await client.GetAgentTokenAsync("read:articles");
        Assert.That(again, Is.EqualTo(first));
        Assert.That(client.TokenRequests, Is.EqualTo(1));

        clock.Advance(TimeSpan.FromMinutes(4)); // 5-minute tokens, renewed 30 s before expiry: still fresh
        Assert.That(await client.GetAgentTokenAsync("read:articles"), Is.EqualTo(first));
        clock.Advance(TimeSpan.FromSeconds(31));
        var renewed = await client.GetAgentTokenAsync("read:articles");
        Assert.That(client.TokenRequests, Is.EqualTo(2));
        Assert.That(new JsonWebToken(renewed).Id, Is.Not.EqualTo(new JsonWebToken(first).Id));
    }

    [Test]
    public async Task Many_concurrent_callers_cause_one_token_request()
    {
        using var client = ResearchBot();
        using var start = new ManualResetEventSlim();
        var calls = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await client.GetAgentTokenAsync("read:articles");
        })).ToArray();
        start.Set();
        var tokens = await Task.WhenAll(calls);
        Assert.That(client.TokenRequests, Is.EqualTo(1));
        Assert.That(tokens.Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task Workload_login_reads_the_token_file_again_when_it_rotates()
    {
        var file = Path.Combine(Scratch.Directory("workload-"), "token");
        await File.WriteAllTextAsync(file, ClusterToken("research-bot"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = AgentTokenClient.Create(_http, new LumoAgentClientOptions { TokenEndpoint = TokenUri, WorkloadTokenFile = file, WorkloadIssuer = "kubernetes" }, clock);

        var before = new JsonWebToken(await client.GetAgentTokenAsync());
        Assert.That(before.Subject, Is.EqualTo("agent:research-bot"));

        // The kubelet rotates the projected token; this one happens to name another service account, which shows the
        // client logged in with the new file and not a copy of the old one.
        await File.WriteAllTextAsync(file, ClusterToken("search-tool"));
        Assert.That(new JsonWebToken(await client.GetAgentTokenAsync()).Subject, Is.EqualTo("agent:research-bot"), "the held token is still fresh");
        clock.Advance(TimeSpan.FromMinutes(5));
        var after = new JsonWebToken(await client.GetAgentTokenAsync());
        Assert.That(after.Subject, Is.EqualTo("agent:search-tool"));
        Assert.That(client.TokenRequests, Is.EqualTo(2));
    }

    [Test]
    public async Task Refusals_are_typed_exceptions_carrying_the_oauth_error_and_the_stable_code()
    {
        using var client = ResearchBot();
        var refused = await Assert.ThrowsAsync<AgentTokenException>(() => client.GetAgentTokenAsync("admin:everything"));
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Status, Is.EqualTo(400));
            Assert.That(refused.Error, Is.EqualTo("invalid_scope"));
            Assert.That(refused.ErrorCode, Is.EqualTo("scope_not_in_capabilities"));
            Assert.That(refused.Description, Does.Contain("admin:everything"));
        });
        Assert.That(client.TokenRequests, Is.EqualTo(1));
        await Assert.ThrowsAsync<AgentTokenException>(() => client.GetAgentTokenAsync("admin:everything"));
        Assert.That(client.TokenRequests, Is.EqualTo(2), "a refusal is not cached");

        using var unreachable = AgentTokenClient.Create(_http, new LumoAgentClientOptions { TokenEndpoint = new Uri("http://127.0.0.1:9/token"), ClientId = "x", ClientSecret = "y" }, TimeProvider.System);
        var down = await Assert.ThrowsAsync<AgentTokenException>(() => unreachable.GetAgentTokenAsync());
        Assert.That(down!.Message, Does.Contain("could not be reached"));
    }

    [Test]
    public async Task The_handlers_attach_the_agents_own_token_and_the_delegated_one()
    {
        await using var api = await LibraryApiHost.StartAsync((LibraryServer)Server);
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o =>
        {
            o.TokenEndpoint = TokenUri;
            o.ClientId = "research-bot";
            o.ClientSecret = ResearchBotSecret;
        });
        services.AddHttpClient("own", c => c.BaseAddress = api.BaseAddress).AddAgentToken("read:articles");
        services.AddHttpClient("for-user", c => c.BaseAddress = api.BaseAddress).AddDelegatedAgentToken("search:web");
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IHttpClientFactory>();
        var tokens = provider.GetRequiredService<AgentTokenClient>();

        using var own = await factory.CreateClient("own").GetAsync(new Uri("articles", UriKind.Relative));
        Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "search").ForUser(AliceToken);
            using var response = await factory.CreateClient("for-user").SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Research Bot, acting for Alice"));
        }

        Assert.That(tokens.TokenRequests, Is.EqualTo(3), "the agent token for read:articles, the actor token, one exchange: the second call reused it");
        var anonymous = await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"));
        Assert.That((int)anonymous.Status, Is.EqualTo(401), "this server requires client authentication on exchanges, which the client gave: " + anonymous);
        Assert.That(anonymous["error_code"], Is.EqualTo("client_authentication_required"), anonymous.ToString());
        await Assert.ThrowsAsync<InvalidOperationException>(() => factory.CreateClient("for-user").GetAsync(new Uri("search", UriKind.Relative)), "no user named");
    }

    [Test]
    public void Options_that_cannot_log_in_are_refused_at_startup()
    {
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o => o.TokenEndpoint = TokenUri);
        using var provider = services.BuildServiceProvider();
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => _ = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<LumoAgentClientOptions>>().Value);
        Assert.That(error!.Message, Does.Contain("either with ClientId + ClientSecret or with a workload token"));
    }

    private string ClusterToken(string serviceAccount) =>
        _cluster.MintServiceAccountToken("kubernetes", "agents", serviceAccount, UidOf(serviceAccount), WorkloadServerFixture.Audience);

    private static string UidOf(string serviceAccount) => serviceAccount == "research-bot" ? "6a1f0c3e-0000-4000-8000-00000000a001" : "6a1f0c3e-0000-4000-8000-00000000a002";

    /// <summary>A plain factory: one handler per client, as the agent would get from IHttpClientFactory.</summary>
    private sealed class HttpClientFactory : IHttpClientFactory, IDisposable
    {
        private readonly SocketsHttpHandler _handler = new();

        public HttpClient CreateClient(string name) => new(_handler, disposeHandler: false);

        public void Dispose() => _handler.Dispose();
    }
}
