using System.Security.Claims;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.Delegation;

namespace LumoAuth.Agents.Tests.ResourceServer;

/// <summary>Each agent requirement met and unmet, the caller in words, and the bearer options' safe limits.</summary>
public sealed class AgentRequirementTests
{
    private static readonly AgentCaller Direct = AgentCaller.From("agent:research-bot", ActorChain.Empty, ["read:articles"], "research-bot");
    private static readonly AgentCaller ForAlice = AgentCaller.From("user:alice", new ActorChain([new Actor("agent:research-bot")]), ["search:web"], "research-bot");
    private static readonly AgentCaller TwoHops = AgentCaller.From("user:alice", new ActorChain([new Actor("agent:search-tool"), new Actor("agent:research-bot")]), ["search:web"], "search-tool");

    private static readonly IServiceProvider Tools = new ToolsOnly(new StaticAgentToolDirectory(new Dictionary<string, IReadOnlyCollection<string>> { ["research-bot"] = ["search-tool"] }));

    private static async Task<string?> Check(IAgentCallerRequirement requirement, AgentCaller caller) => await requirement.CheckAsync(caller, Tools, default);

    [Test]
    public void The_caller_reads_in_words_and_names_its_current_actor()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TwoHops.Describe(), Is.EqualTo("Search Tool, used by Research Bot, acting for Alice"));
            Assert.That(Direct.Describe(), Is.EqualTo("Research Bot"));
            Assert.That(Direct.CurrentActor.Subject, Is.EqualTo("agent:research-bot"));
            Assert.That(TwoHops.AgentId, Is.EqualTo("search-tool"));
            Assert.That(ForAlice.ActsForUser, Is.True);
            Assert.That(Direct.ActsForUser, Is.False);
            Assert.That(AgentCaller.DefaultName("service:billing"), Is.EqualTo("Service:billing"));
            Assert.That(AgentCaller.DefaultName("agent:research-mcp"), Is.EqualTo("Research MCP"), "well-known abbreviations in capitals");
            Assert.That(AgentCaller.DefaultName("agent:mcpx-bot"), Is.EqualTo("Mcpx Bot"), "only whole words");
        });
    }

    [Test]
    public void A_caller_is_read_from_one_of_our_identities_only_and_never_with_a_malformed_act()
    {
        static ClaimsIdentity Ours(params Claim[] claims) => new(claims, "test") { Label = AgentCaller.IdentityLabel };
        Assert.That(AgentCaller.FromPrincipal(new ClaimsPrincipal(Ours(new Claim("sub", "user:alice"), new Claim("act", "{\"client_id\":\"x\"}")))), Is.Null);
        var ok = new ClaimsPrincipal(Ours(new Claim("sub", "user:alice"), new Claim("act", "{\"sub\":\"agent:a\"}"), new Claim("scope", "x y")));
        Assert.That(AgentCaller.FromPrincipal(ok)!.Scopes, Is.EquivalentTo(new[] { "x", "y" }));

        // Another scheme's identity with look-alike claims is not a caller, and claims are not mixed across identities.
        var foreign = new ClaimsIdentity([new Claim("sub", "user:alice"), new Claim("act", "{\"sub\":\"agent:a\"}"), new Claim("scope", "admin")], "partner");
        Assert.That(AgentCaller.FromPrincipal(new ClaimsPrincipal(foreign)), Is.Null);
        var merged = new ClaimsPrincipal([Ours(new Claim("sub", "agent:a"), new Claim("scope", "x")), foreign]);
        var caller = AgentCaller.FromPrincipal(merged)!;
        Assert.That(caller.Scopes, Is.EquivalentTo(new[] { "x" }));
        Assert.That(caller.Chain.Depth, Is.Zero);
    }

    [Test]
    public async Task Capabilities()
    {
        Assert.That(await Check(new AgentCapabilitiesRequirement(["read:articles"]), Direct), Is.Null);
        Assert.That(await Check(new AgentCapabilitiesRequirement(["read:articles", "search:web"]), Direct), Is.EqualTo("the capability 'search:web'"));
        Assert.Throws<ArgumentException>(() => _ = new AgentCapabilitiesRequirement([" "]));
    }

    [Test]
    public async Task Acting_for_a_user()
    {
        Assert.That(await Check(new ActingForUserRequirement(), ForAlice), Is.Null);
        Assert.That(await Check(new ActingForUserRequirement(), Direct), Does.Contain("is not a user"));
        Assert.That(await Check(new ActingForUserRequirement(), AgentCaller.From("user:alice", ActorChain.Empty, [], null)), Does.Contain("has no actor"));
    }

    [Test]
    public async Task For_a_user()
    {
        Assert.That(await Check(new ForUserRequirement(), ForAlice), Is.Null, "an agent acting for the user");
        Assert.That(await Check(new ForUserRequirement(), AgentCaller.From("user:alice", ActorChain.Empty, [], null)), Is.Null, "the user's own app");
        Assert.That(await Check(new ForUserRequirement(), Direct), Does.Contain("is not a user"), "an agent as itself");
    }

    [Test]
    public async Task Chain_depth()
    {
        Assert.That(await Check(new MaxChainDepthRequirement(2), TwoHops), Is.Null);
        Assert.That(await Check(new MaxChainDepthRequirement(1), TwoHops), Does.Contain("at most 1 (this one has 2"));
        Assert.That(await Check(new MaxChainDepthRequirement(0), Direct), Is.Null);
    }

    [Test]
    public async Task Allowed_and_forbidden_actors_anywhere_in_the_chain()
    {
        Assert.That(await Check(new AllowedActorsRequirement(["research-bot", "agent:search-tool"]), TwoHops), Is.Null);
        Assert.That(await Check(new AllowedActorsRequirement(["search-tool"]), TwoHops), Does.Contain("'agent:research-bot' is not on it"));
        Assert.That(await Check(new ForbiddenActorsRequirement(["research-bot"]), TwoHops), Does.Contain("without 'agent:research-bot'"));
        Assert.That(await Check(new ForbiddenActorsRequirement(["other-bot"]), TwoHops), Is.Null);

        // An agent calling as itself is its own actor: it cannot slip past either list by having no chain.
        Assert.That(await Check(new ForbiddenActorsRequirement(["research-bot"]), Direct), Does.Contain("without 'agent:research-bot'"));
        Assert.That(await Check(new AllowedActorsRequirement(["search-tool"]), Direct), Does.Contain("'agent:research-bot' is not on it"));
        Assert.That(await Check(new AllowedActorsRequirement(["research-bot"]), Direct), Is.Null);
    }

    [Test]
    public async Task Tool_hops()
    {
        Assert.That(await Check(new AllowedToolHopRequirement(), TwoHops), Is.Null);
        Assert.That(await Check(new AllowedToolHopRequirement(), ForAlice), Is.Null, "one actor: no hop to check");
        var reversed = AgentCaller.From("user:alice", new ActorChain([new Actor("agent:research-bot"), new Actor("agent:search-tool")]), [], null);
        Assert.That(await Check(new AllowedToolHopRequirement(), reversed), Does.Contain("'research-bot' to be an allowed tool of 'search-tool'"));
        var noDirectory = new ToolsOnly(null);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await new AllowedToolHopRequirement().CheckAsync(TwoHops, noDirectory, default));
    }

    [Test]
    public void The_attribute_turns_into_the_same_requirements()
    {
        var requirements = new RequireAgentAttribute { Capabilities = "a b", ActingForUser = true, ForUser = true, MaxChainDepth = 2, AllowedActors = "x", ForbiddenActors = "y", AllowedToolHop = true }.GetRequirements().ToList();
        Assert.That(requirements.Select(r => r.GetType().Name), Is.EqualTo(new[]
        {
            "DenyAnonymousAuthorizationRequirement", nameof(AgentCapabilitiesRequirement), nameof(ActingForUserRequirement), nameof(ForUserRequirement), nameof(MaxChainDepthRequirement),
            nameof(AllowedActorsRequirement), nameof(ForbiddenActorsRequirement), nameof(AllowedToolHopRequirement),
        }));
    }

    [TestCase("skew", "ClockSkew must be between 0 and 60 seconds")]
    [TestCase("hmac", "asymmetric algorithms only")]
    [TestCase("none", "asymmetric algorithms only")]
    [TestCase("no audience", "Audiences must name")]
    [TestCase("no issuer", "Issuer must be")]
    [TestCase("plain http", "over HTTPS only")]
    public void Bearer_options_refuse_unsafe_settings(string flaw, string message)
    {
        var options = new LumoAgentsBearerOptions { Issuer = new Uri(flaw == "plain http" ? "http://auth.example/" : "https://auth.example/") };
        options.Audiences.Add("api");
        switch (flaw)
        {
            case "skew": options.ClockSkew = TimeSpan.FromSeconds(61); break;
            case "hmac": options.Algorithms.Add("HS256"); break;
            case "none": options.Algorithms.Add("none"); break;
            case "no audience": options.Audiences.Clear(); break;
            case "no issuer": options.Issuer = null; break;
        }

        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.That(error!.Message, Does.Contain(message));
    }

    private sealed class ToolsOnly(IAgentToolDirectory? directory) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(IAgentToolDirectory) ? directory : null;
    }
}
