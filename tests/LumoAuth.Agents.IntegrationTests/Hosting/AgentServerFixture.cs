using System.Net;
using LumoAuth.Agents.Audit;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// One library test host per fixture and database (<see cref="LibraryServer"/>), with the test tenant plus agents the
/// refusal cases need, and Alice's access token for Research Bot obtained through the authorization code flow.
/// </summary>
public abstract class AgentServerFixture
{
    public const string ResearchBotSecret = TestTenant.ResearchBotSecret;
    public const string SearchToolSecret = TestTenant.SearchToolSecret;
    public const string TestSecret = "test-agent-secret-0123456789abcdef";

    protected AgentServerFixture(DatabaseKind database) => Database = database;

    protected DatabaseKind Database { get; }

    protected ITestServer Server { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>Alice's access token, issued to Research Bot after she consented to read:articles and search:web.</summary>
    protected string AliceToken { get; private set; } = null!;

    protected virtual IDictionary<string, string?>? Settings => null;

    /// <summary>The host environment; Development unless a fixture says otherwise.</summary>
    protected virtual string? Environment => null;

    /// <summary>Starts the server the fixture's tests talk to: the library's test host.</summary>
    protected virtual async Task<ITestServer> StartServerCoreAsync() =>
        await LibraryServer.StartAsync(new LibraryServerOptions { Database = Database, Settings = Settings, Environment = Environment });

    /// <summary>Runs before the server starts, e.g. to start what its settings point at.</summary>
    protected virtual Task BeforeServerStartsAsync() => Task.CompletedTask;

    [OneTimeSetUp]
    public async Task StartServerAsync()
    {
        await BeforeServerStartsAsync();
        Server = await StartServerCoreAsync();
        Client = Server.Http();
        await RegisterAsync("other-bot", ["read:articles", "search:web", "delegate:user"], canAct: true);
        await RegisterAsync("plain-bot", ["read:articles", "search:web"]);
        await RegisterAsync("deep-a", ["search:web", "delegate:user"], canAct: true, tools: ["deep-b"], maxDepth: 2);
        await RegisterAsync("deep-b", ["search:web"], tools: ["deep-c"]);
        await RegisterAsync("deep-c", ["search:web"]);
        await RegisterAsync("suspended-bot", ["read:articles"], status: AgentStatus.Suspended);
        await RegisterAsync("revoked-bot", ["read:articles"], status: AgentStatus.Revoked);
        AliceToken = await UserConsentFlow.UserTokenAsync(Server, "research-bot", SecretOf("research-bot"), "read:articles search:web");
    }

    [OneTimeTearDown]
    public async Task StopServerAsync()
    {
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    protected async Task RegisterAsync(string id, string[] capabilities, bool canAct = false, string[]? tools = null, int maxDepth = 3,
        AgentStatus status = AgentStatus.Active, string? secret = TestSecret, BudgetPolicy? budget = null)
    {
        var result = await Server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = id,
            DisplayName = id,
            Owner = "tests",
            Capabilities = capabilities,
            DefaultScopes = [capabilities[0]],
            RedirectUris = [new Uri(UserConsentFlow.RedirectUri)],
            AllowedTools = tools ?? [],
            CanActForUsers = canAct,
            MaxChainDepth = maxDepth,
            ClientSecret = secret,
            Budget = budget ?? new BudgetPolicy(),
            Status = status,
        }).AsTask());
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
    }

    private static int StatusOf(string error) => error switch
    {
        "invalid_client" => 401,
        "temporarily_unavailable" => 429,
        _ => 400,
    };

    /// <summary>Waits for the wall clock's next whole second (at most one second): token times are whole seconds.</summary>
    protected static Task NextSecondAsync() => Task.Delay(TimeSpan.FromMilliseconds(1_050 - DateTimeOffset.UtcNow.Millisecond));

    protected Task<bool> SetStatusAsync(string id, AgentStatus status) =>
        Server.WithServiceAsync<bool, LumoAuth.Agents.IAgentStore>(store => store.SetStatusAsync(id, status, null, default).AsTask());

    protected async Task<string> AgentTokenAsync(string agentId, string? secret = null, string? scope = null)
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, agentId, secret ?? SecretOf(agentId), scope);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        return response.AccessToken;
    }

    protected virtual string SecretOf(string agentId) => agentId switch
    {
        "research-bot" => ResearchBotSecret,
        "search-tool" => SearchToolSecret,
        _ => TestSecret,
    };

    protected async Task<TokenResponse> ExchangeAsync(string subjectToken, string? actorToken, string? scope = null, string? audience = null, params (string, string)[] extra) =>
        await TokenEndpoint.PostAsync(Client, [.. TokenEndpoint.Exchange(subjectToken, actorToken, scope, audience), .. extra]);

    /// <summary>
    /// Asserts the status of the OAuth error, the error itself, the stable code, a description, and the audit record of
    /// the refusal. The status follows from the error: 401 for <c>invalid_client</c> (RFC 6749 section 5.2), 429 for a
    /// spent budget (<c>temporarily_unavailable</c>), 400 for every other refusal.
    /// </summary>
    protected async Task AssertRefusedAsync(Func<Task<TokenResponse>> send, string error, string code)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await send();
        Assert.Multiple(() =>
        {
            Assert.That((int)response.Status, Is.EqualTo(StatusOf(error)), response.ToString());
            Assert.That(response["error"], Is.EqualTo(error), response.ToString());
            Assert.That(response["error_code"], Is.EqualTo(code), response.ToString());
            Assert.That(response["error_description"], Is.Not.Null.And.Not.Empty);
            Assert.That(response["access_token"], Is.Null);
        });
        var records = await Server.AuditAsync(new AuditQuery { ReasonCode = code, Outcome = AuditOutcome.Refused, From = since });
        Assert.That(records, Is.Not.Empty, $"no audit record with reason {code}");
        Assert.That(records[0].Error, Is.EqualTo(error));
        Assert.That(records[0].Description, Is.EqualTo(response["error_description"]));
    }
}
