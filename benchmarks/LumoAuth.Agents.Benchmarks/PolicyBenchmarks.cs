using BenchmarkDotNet.Attributes;
using LumoAuth.Agents.Agents;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.InMemory;
using LumoAuth.Agents.Scopes;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>
/// The delegation policy's decision alone (stores in memory, so the figure is the policy, not the database), and the
/// capability check a resource makes on every call.
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private readonly TimeProvider _time = TimeProvider.System;
    private DelegationPolicy _policy = null!;
    private DelegationRequest _request = null!;
    private ScopeSet _granted = null!;
    private ScopeSet _required = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var agents = new InMemoryAgentStore();
        var consents = new InMemoryConsentStore();
        await agents.CreateAsync(new AgentProfile
        {
            Id = "research-bot", DisplayName = "Research Bot", Owner = "research",
            Capabilities = ScopeSet.Parse("read:articles search:web delegate:user"),
            AllowedTools = new HashSet<string> { "search-tool" },
            Delegation = new DelegationRules { CanActForUsers = true },
        }, default);
        await consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles search:web"), _time.GetUtcNow(), default);
        _policy = new DelegationPolicy(agents, consents, new Monitor(new LumoAgentsOptions { DefaultAudience = "acme-api" }), _time);
        _request = new DelegationRequest
        {
            SubjectToken = new TokenFacts
            {
                Subject = "user:alice", ClientId = "research-bot", Scopes = ScopeSet.Parse("read:articles search:web"),
                Audiences = new HashSet<string> { "acme-api" }, ExpiresAt = _time.GetUtcNow().AddHours(1),
            },
            ActorToken = new TokenFacts { Subject = "agent:research-bot", ClientId = "research-bot", ExpiresAt = _time.GetUtcNow().AddMinutes(5) },
            AuthenticatedClientId = "research-bot",
            RequestedScopes = ["read:articles"],
        };
        _granted = ScopeSet.Parse("read:articles search:web tool:search");
        _required = ScopeSet.Parse("tool:search");
    }

    [Benchmark(Description = "Delegation policy decision")]
    public async Task<bool> Decide() => (await _policy.DecideAsync(_request, CancellationToken.None)).IsGranted;

    [Benchmark(Description = "Resource capability check")]
    public bool CapabilityCheck() => _required.IsSubsetOf(_granted);

    private sealed class Monitor(LumoAgentsOptions value) : IOptionsMonitor<LumoAgentsOptions>
    {
        public LumoAgentsOptions CurrentValue => value;

        public LumoAgentsOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LumoAgentsOptions, string?> listener) => null;
    }
}
