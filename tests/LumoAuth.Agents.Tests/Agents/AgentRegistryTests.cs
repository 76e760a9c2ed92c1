using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.InMemory;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.Agents;

public class AgentRegistryTests
{
    private InMemoryAgentStore _store = null!;
    private RecordingClients _clients = null!;
    private AgentRegistry _registry = null!;
    private InMemoryWorkloadBindingStore _bindings = null!;

    private static WorkloadOptions Trusts() => new()
    {
        Issuers =
        [
            new WorkloadIssuer { Name = "k8s", Platform = WorkloadPlatform.Kubernetes, Issuer = "https://k8s", UseDiscovery = true, Audiences = ["a"] },
            new WorkloadIssuer { Name = "github", Platform = WorkloadPlatform.GitHub, Issuer = "https://gh", UseDiscovery = true, Audiences = ["a"] },
        ],
    };

    [SetUp]
    public void SetUp()
    {
        _store = new InMemoryAgentStore();
        _clients = new RecordingClients();
        _bindings = new InMemoryWorkloadBindingStore();
        _registry = new AgentRegistry(new AgentRegistrationValidator(), _store, _clients, new FakeTimeProvider(), _bindings, new StaticOptions<WorkloadOptions>(Trusts()));
    }

    private static AgentRegistration Valid() => new()
    {
        Id = "research-bot",
        DisplayName = "Research Bot",
        Owner = "research",
        Capabilities = ["read:articles", "delegate:user"],
        DefaultScopes = ["read:articles"],
        AllowedTools = ["search-tool"],
        CanActForUsers = true,
        ClientSecret = new string('s', 32),
    };

    [Test]
    public async Task A_valid_registration_stores_the_profile_and_the_client()
    {
        var result = await _registry.RegisterAsync(Valid());
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
        Assert.That(await _store.FindAsync("research-bot", default), Is.Not.Null);
        Assert.That(_clients.Created, Is.EqualTo(new[] { "research-bot" }));
        Assert.That(result.Agent!.MayActForUsers, Is.True);
    }

    [Test]
    public async Task A_bad_registration_names_every_bad_field_and_writes_nothing()
    {
        var registration = new AgentRegistration
        {
            Id = "Bad Id!",
            DisplayName = "",
            Owner = "",
            Capabilities = ["ok", "has space"],
            DefaultScopes = ["not-a-capability"],
            AllowedTools = ["Bad Id!"],
            CanActForUsers = true,
            MaxChainDepth = 0,
            AccessTokenLifetime = TimeSpan.FromHours(2),
            Budget = new BudgetPolicy { MaxTokensPerDay = -1, MaxApiCallsPerHour = 0, MaxCostPerMonth = -5 },
            ClientSecret = "short",
            RedirectUris = [new Uri("http://example.com/cb")],
        };

        var result = await _registry.RegisterAsync(registration);

        Assert.That(result.Succeeded, Is.False);
        var fields = result.Errors.Select(e => e.Field.Split('[')[0]).Distinct().ToList();
        Assert.That(fields, Is.SupersetOf(new[]
        {
            "Id", "DisplayName", "Owner", "Capabilities", "DefaultScopes", "AllowedTools", "CanActForUsers", "MaxChainDepth",
            "AccessTokenLifetime", "Budget.MaxTokensPerDay", "Budget.MaxApiCallsPerHour", "Budget.MaxCostPerMonth", "ClientSecret", "RedirectUris",
        }));
        Assert.That(_clients.Created, Is.Empty);
        Assert.That(await _store.ListAsync(new AgentQuery(), default), Is.Empty);
    }

    [TestCase("https://mcp.acme-corp.example/mcp", true)]
    [TestCase("http://127.0.0.1:5082/mcp", true)]
    [TestCase("https://api.acme-corp.example/", true)]
    [TestCase("https://api.acme-corp.example", false)]
    [TestCase("http://mcp.acme-corp.example/mcp", false)]
    [TestCase("https://mcp.acme-corp.example/mcp?tenant=a", false)]
    [TestCase("https://mcp.acme-corp.example/mcp#x", false)]
    [TestCase("https://user@mcp.acme-corp.example/mcp", false)]
    public async Task An_allowed_tool_may_be_a_protected_resources_canonical_uri(string tool, bool accepted)
    {
        var registration = Valid();
        registration.AllowedTools.Add(tool);
        var result = await _registry.RegisterAsync(registration);
        Assert.That(result.Succeeded, Is.EqualTo(accepted), string.Join("; ", result.Errors));
        if (!accepted)
        {
            Assert.That(result.Errors.Single().Field, Does.StartWith("AllowedTools"));
        }
    }

    [TestCase("offline_access")]
    [TestCase("openid")]
    [TestCase("agents:admin")]
    [TestCase("agents:usage")]
    public async Task Sign_in_scopes_cannot_be_capabilities(string scope)
    {
        var registration = Valid();
        registration.Capabilities.Add(scope);
        var result = await _registry.RegisterAsync(registration);
        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Errors.Single().Field, Does.StartWith("Capabilities"));
        Assert.That(result.Errors.Single().Message, Does.Contain(scope));
    }

    [Test]
    public async Task Workload_bindings_registered_with_an_agent_are_stored_for_it()
    {
        var registration = Valid();
        registration.ClientSecret = null;
        registration.WorkloadBindings.Add(WorkloadBinding.Kubernetes("", "k8s", "agents", "research-bot", "uid-9"));
        var result = await _registry.RegisterAsync(registration);
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
        var stored = await _bindings.FindAsync("k8s", "system:serviceaccount:agents:research-bot", default);
        Assert.That(stored.Single().AgentId, Is.EqualTo("research-bot"));
    }

    [Test]
    public async Task Workload_bindings_must_name_a_trusted_issuer_and_pin_GitHub_repositories()
    {
        var registration = Valid();
        registration.WorkloadBindings.Add(WorkloadBinding.Exact("", "nowhere", "x"));
        registration.WorkloadBindings.Add(WorkloadBinding.Exact("", "github", "repo:acme/agents:ref:refs/heads/main"));
        registration.WorkloadBindings.Add(WorkloadBinding.Exact("", "k8s", "system:serviceaccount:*"));
        var result = await _registry.RegisterAsync(registration);
        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Errors.Select(e => e.Field), Is.SupersetOf(new[] { "WorkloadBindings[0].Issuer", "WorkloadBindings[1].Claims", "WorkloadBindings[2].Subject" }));
        Assert.That(_clients.Created, Is.Empty);
    }

    [Test]
    public async Task A_workload_already_bound_to_another_agent_cannot_be_bound_again()
    {
        var first = Valid();
        first.WorkloadBindings.Add(WorkloadBinding.Kubernetes("", "k8s", "agents", "shared", "uid-1"));
        Assert.That((await _registry.RegisterAsync(first)).Succeeded, Is.True);

        var second = Valid();
        second.Id = "other-bot";
        second.WorkloadBindings.Add(WorkloadBinding.Kubernetes("", "k8s", "agents", "shared", "uid-1"));
        var result = await _registry.RegisterAsync(second);
        Assert.That(result.Succeeded, Is.False);
        Assert.That(result.Errors.Single().Field, Is.EqualTo("WorkloadBindings[0].Subject"));
    }

    [Test]
    public async Task A_taken_id_is_refused_without_writing()
    {
        await _registry.RegisterAsync(Valid());
        var again = await _registry.RegisterAsync(Valid());
        Assert.That(again.Succeeded, Is.False);
        Assert.That(again.Errors.Single().Field, Is.EqualTo("Id"));
        Assert.That(_clients.Created, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_client_is_removed_when_its_profile_cannot_be_stored()
    {
        var failing = new AgentRegistry(new AgentRegistrationValidator(), new FailingStore(), _clients, new FakeTimeProvider(), _bindings, new StaticOptions<WorkloadOptions>(Trusts()));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await failing.RegisterAsync(Valid()));
        Assert.That(_clients.Created, Is.Empty);
    }

    [Test]
    public async Task A_revoked_agent_cannot_be_made_active_again()
    {
        await _registry.RegisterAsync(Valid());
        Assert.That(await _registry.SetStatusAsync("research-bot", AgentStatus.Revoked), Is.True);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _registry.SetStatusAsync("research-bot", AgentStatus.Active));
        Assert.That((await _store.FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Revoked));
    }

    [Test]
    public async Task Setting_the_status_of_an_unknown_agent_reports_false() =>
        Assert.That(await _registry.SetStatusAsync("ghost", AgentStatus.Suspended), Is.False);

    [Test]
    public async Task The_registry_refuses_private_or_unusable_signing_keys_and_too_many_of_them()
    {
        var registry = _registry;
        using var key = Ed25519SignatureKey.Generate();
        AgentRegistration Registration(params string[] keys) => new()
        {
            Id = "keyed-bot", DisplayName = "Keyed", Owner = "tests", Capabilities = ["read:articles"], DefaultScopes = ["read:articles"], SigningKeys = keys,
        };

        var good = await registry.RegisterAsync(Registration(key.ToPublicJwk().ToJsonString()));
        Assert.That(good.Succeeded, Is.True, string.Join("; ", good.Errors));
        Assert.That(AgentSigningKeys.Find(good.Agent!, key.Thumbprint!), Is.Not.Null);

        var withPrivate = key.ToPublicJwk();
        withPrivate["d"] = Base64Url.Encode(key.ExportPrivateKey());
        var refused = await registry.RegisterAsync(Registration(withPrivate.ToJsonString()));
        Assert.That(refused.Errors.Select(e => e.Message), Has.Some.Contains("private"));
        Assert.That((await registry.RegisterAsync(Registration("not json"))).Errors.Select(e => e.Message), Has.Some.Contains("not JSON"));
        var six = Enumerable.Range(0, 6).Select(_ => Ed25519SignatureKey.Generate()).ToList();
        Assert.That((await registry.RegisterAsync(Registration([.. six.Select(k => k.ToPublicJwk().ToJsonString())]))).Errors.Select(e => e.Message), Has.Some.Contains("At most 5"));
        six.ForEach(k => k.Dispose());
    }

    private sealed class RecordingClients : IAgentClientRegistrar
    {
        public List<string> Created { get; } = [];

        public ValueTask<bool> ExistsAsync(string clientId, CancellationToken cancellationToken) => ValueTask.FromResult(Created.Contains(clientId));

        public ValueTask CreateAsync(AgentRegistration registration, CancellationToken cancellationToken)
        {
            Created.Add(registration.Id);
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> SetSecretAsync(string clientId, string secret, CancellationToken cancellationToken) => ValueTask.FromResult(Created.Contains(clientId));

        public ValueTask SetCapabilitiesAsync(string clientId, IEnumerable<string> capabilities, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask DeleteAsync(string clientId, CancellationToken cancellationToken)
        {
            Created.Remove(clientId);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FailingStore : IAgentStore
    {
        public ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken) => ValueTask.FromResult<AgentProfile?>(null);

        public ValueTask CreateAsync(AgentProfile agent, CancellationToken cancellationToken) => throw new InvalidOperationException("store down");

        public ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask DeleteAsync(string id, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<bool> UpdateAsync(AgentProfile agent, string expectedVersion, CancellationToken cancellationToken) => ValueTask.FromResult(false);

        public ValueTask<IReadOnlyList<AgentProfile>> ListAsync(AgentQuery query, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<AgentProfile>>([]);
    }
}
