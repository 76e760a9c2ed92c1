using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Workload;

/// <summary>
/// The library's test host trusting a set of platform issuers served by <see cref="TestIssuer"/> on loopback, configured
/// the way a user would: through the <c>LumoAgents:Workload</c> configuration section.
/// </summary>
public abstract class WorkloadServerFixture(DatabaseKind database) : AgentServerFixture(database)
{
    public const string Audience = "lumo-agents-test";

    private readonly Dictionary<string, string?> _settings = new();
    private int _issuers;
    private int _bindings;

    protected TestIssuer Issuer { get; private set; } = null!;

    protected override IDictionary<string, string?>? Settings => _settings;

    protected override async Task BeforeServerStartsAsync()
    {
        Issuer = await TestIssuer.StartAsync();
        Configure(_settings);
    }

    /// <summary>Adds trusted issuers and bindings to <paramref name="settings"/>.</summary>
    protected abstract void Configure(IDictionary<string, string?> settings);

    [OneTimeTearDown]
    public async Task StopIssuerAsync()
    {
        if (Issuer is not null)
        {
            await Issuer.DisposeAsync();
        }
    }

    protected void Trust(string name, string platform, string keySource = "discovery", string[]? algorithms = null, bool allowPrivate = true, string? audience = null, bool singleKey = false)
    {
        Issuer.Add(name, singleKey);
        var prefix = $"LumoAgents:Workload:Issuers:{_issuers++}:";
        _settings[prefix + "Name"] = name;
        _settings[prefix + "Platform"] = platform;
        _settings[prefix + "Issuer"] = Issuer.IssuerOf(name);
        _settings[prefix + "Audiences:0"] = audience ?? Audience;
        _settings[prefix + "AllowHttp"] = "true";
        _settings[prefix + "AllowPrivateNetwork"] = allowPrivate ? "true" : "false";
        switch (keySource)
        {
            case "discovery":
                _settings[prefix + "UseDiscovery"] = "true";
                break;
            case "jwks":
                _settings[prefix + "JwksUri"] = Issuer.JwksOf(name).AbsoluteUri;
                break;
            case "https-jwks":
                _settings[prefix + "JwksUri"] = new UriBuilder(Issuer.JwksOf(name)) { Scheme = "https" }.Uri.AbsoluteUri;
                _settings[prefix + "AllowHttp"] = "false";
                break;
            default:
                _settings[prefix + "PinnedJwks"] = Issuer.JwksJson(name);
                break;
        }

        for (var i = 0; i < (algorithms?.Length ?? 0); i++)
        {
            _settings[prefix + $"Algorithms:{i}"] = algorithms![i];
        }
    }

    protected void Bind(string agentId, string issuer, string subject, params (string Claim, string Value)[] claims)
    {
        var prefix = $"LumoAgents:Workload:Bindings:{_bindings++}:";
        _settings[prefix + "AgentId"] = agentId;
        _settings[prefix + "Issuer"] = issuer;
        _settings[prefix + "Subject"] = subject;
        foreach (var (claim, value) in claims)
        {
            _settings[prefix + "Claims:" + claim] = value;
        }
    }

    protected Task<TokenResponse> LoginAsync(string platformToken, string? subjectIssuer = null, string? scope = null, params (string, string)[] extra)
    {
        var parameters = new List<(string, string)>
        {
            ("grant_type", TokenEndpoint.TokenExchange),
            ("subject_token", platformToken),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        };
        if (subjectIssuer is not null)
        {
            parameters.Add(("subject_issuer", subjectIssuer));
        }

        if (scope is not null)
        {
            parameters.Add(("scope", scope));
        }

        parameters.AddRange(extra);
        return TokenEndpoint.PostAsync(Client, parameters, TokenEndpoint.SeedPath);
    }
}
