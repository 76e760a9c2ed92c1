using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.InMemory;
using LumoAuth.Agents.Scopes;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.Delegation;

/// <summary>A small tenant for policy tests: the seed's agents, Alice's consent, a fake clock.</summary>
internal sealed class PolicyWorld
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    public InMemoryAgentStore Agents { get; }
    public InMemoryConsentStore Consents { get; } = new();
    public LumoAgentsOptions Options { get; } = new() { DefaultAudience = "acme-api" };

    public PolicyWorld()
    {
        Agents = new InMemoryAgentStore(Time);
        Add(new AgentProfile
        {
            Id = "research-bot", DisplayName = "Research Bot", Owner = "research",
            Capabilities = ScopeSet.Parse("read:articles search:web delegate:user"),
            AllowedTools = new HashSet<string> { "search-tool" },
            Delegation = new DelegationRules { CanActForUsers = true },
        });
        Add(new AgentProfile
        {
            Id = "search-tool", DisplayName = "Search Tool", Owner = "platform",
            Capabilities = ScopeSet.Parse("search:web"),
            AllowedTools = new HashSet<string> { "index-tool" },
        });
        Add(new AgentProfile { Id = "index-tool", DisplayName = "Index Tool", Owner = "platform", Capabilities = ScopeSet.Parse("search:web") });
        Add(new AgentProfile
        {
            Id = "other-bot", DisplayName = "Other Bot", Owner = "others",
            Capabilities = ScopeSet.Parse("read:articles delegate:user"),
            Delegation = new DelegationRules { CanActForUsers = true },
        });
        Add(new AgentProfile { Id = "plain-bot", DisplayName = "Plain Bot", Owner = "others", Capabilities = ScopeSet.Parse("read:articles") });
        Consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles search:web"), Time.GetUtcNow(), default).AsTask().Wait();
    }

    public DateTimeOffset Now => Time.GetUtcNow();

    public void Add(AgentProfile agent) => Agents.CreateAsync(agent with { CreatedAt = Now }, default).AsTask().Wait();

    public DelegationPolicy Policy() => new(Agents, Consents, new StaticOptions<LumoAgentsOptions>(Options), Time);

    public TokenFacts UserToken(string clientId = "research-bot", string scopes = "read:articles search:web", string[]? audiences = null,
        TimeSpan? lifetime = null, ActorChain? chain = null, Actor? mayAct = null) => new()
    {
        Subject = "user:alice",
        ClientId = clientId,
        Scopes = ScopeSet.Parse(scopes),
        Audiences = new HashSet<string>(audiences ?? ["acme-api"]),
        ExpiresAt = Now + (lifetime ?? TimeSpan.FromHours(1)),
        IssuedAt = Now,
        Chain = chain ?? ActorChain.Empty,
        MayAct = mayAct,
    };

    public TokenFacts AgentToken(string agentId, TimeSpan? lifetime = null) => new()
    {
        Subject = "agent:" + agentId,
        ClientId = agentId,
        Scopes = ScopeSet.Empty,
        ExpiresAt = Now + (lifetime ?? TimeSpan.FromMinutes(5)),
        IssuedAt = Now,
    };

    public static ActorChain Chain(params string[] agentIdsCurrentFirst) =>
        new(agentIdsCurrentFirst.Select(id => new Actor("agent:" + id, id)));
}
