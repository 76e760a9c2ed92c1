using System.Security.Claims;
using BenchmarkDotNet.Attributes;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.InMemory;
using LumoAuth.Agents.Scopes;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>
/// The delegation policy's decision alone (stores in memory, so the figure is the policy, not the database), and what
/// the resource-server package does on every call: read the caller from the validated token's claims and check the
/// sample API's search policy (capability, acting for a user, chain depth).
/// </summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private readonly TimeProvider _time = TimeProvider.System;
    private DelegationPolicy _policy = null!;
    private DelegationRequest _request = null!;
    private ClaimsPrincipal _principal = null!;
    private AgentCaller _caller = null!;
    private readonly IAgentCallerRequirement[] _searchPolicy =
        [new AgentCapabilitiesRequirement(["search:web"]), new ActingForUserRequirement(), new MaxChainDepthRequirement(2)];

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
        _principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim("sub", "user:alice"), new Claim("act", "{\"sub\":\"agent:search-tool\",\"act\":{\"sub\":\"agent:research-bot\"}}", "JSON"),
             new Claim("scope", "search:web"), new Claim("client_id", "search-tool")], "LumoAgents") { Label = AgentCaller.IdentityLabel });
        _caller = AgentCaller.FromPrincipal(_principal)!;
    }

    [Benchmark(Description = "Delegation policy decision")]
    public async Task<bool> Decide() => (await _policy.DecideAsync(_request, CancellationToken.None)).IsGranted;

    [Benchmark(Description = "Resource: caller from token claims (depth 2)")]
    public AgentCaller? CallerFromClaims() => AgentCaller.FromPrincipal(_principal);

    [Benchmark(Description = "Resource: search policy check (capability, acting for user, depth)")]
    public async Task<bool> SearchPolicyCheck()
    {
        foreach (var requirement in _searchPolicy)
        {
            if (await requirement.CheckAsync(_caller, EmptyServices.Instance, CancellationToken.None) is not null)
            {
                return false;
            }
        }

        return true;
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }

    private sealed class Monitor(LumoAgentsOptions value) : IOptionsMonitor<LumoAgentsOptions>
    {
        public LumoAgentsOptions CurrentValue => value;

        public LumoAgentsOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LumoAgentsOptions, string?> listener) => null;
    }
}
