using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.AspNetCore.Authorization;

/// <summary>A requirement on the <see cref="AgentCaller"/> of a request.</summary>
public interface IAgentCallerRequirement : IAuthorizationRequirement
{
    /// <summary>What is missing (for the refusal's description), or <see langword="null"/> when the caller meets the requirement.</summary>
    ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken);
}

/// <summary>The token must carry every one of these capabilities (scopes).</summary>
public sealed class AgentCapabilitiesRequirement : IAgentCallerRequirement
{
    /// <summary>Creates the requirement.</summary>
    public AgentCapabilitiesRequirement(IEnumerable<string> capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        Capabilities = capabilities.Where(c => !string.IsNullOrWhiteSpace(c)).Distinct(StringComparer.Ordinal).ToArray();
        if (Capabilities.Count == 0)
        {
            throw new ArgumentException("Name at least one capability.", nameof(capabilities));
        }
    }

    /// <summary>The capabilities required.</summary>
    public IReadOnlyList<string> Capabilities { get; }

    /// <inheritdoc />
    public ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var missing = Capabilities.Where(c => !caller.Scopes.Contains(c)).ToList();
        return ValueTask.FromResult(missing.Count == 0 ? null : $"the capability {string.Join(" and ", missing.Select(m => $"'{m}'"))}");
    }
}

/// <summary>The caller must be an agent acting for a user (a user subject and at least one actor).</summary>
public sealed class ActingForUserRequirement : IAgentCallerRequirement
{
    /// <inheritdoc />
    public ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return ValueTask.FromResult(caller.ActsForUser ? null : $"an agent acting for a user (this token's subject '{caller.Subject}' {(SubjectIdentifier.IsUser(caller.Subject) ? "has no actor" : "is not a user")})");
    }
}

/// <summary>
/// The token's subject must be a user: the user themselves through their own app, or an agent acting for them. What an
/// MCP tool or API needs when it works on a user's data but does not care who relays the request.
/// </summary>
public sealed class ForUserRequirement : IAgentCallerRequirement
{
    /// <inheritdoc />
    public ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return ValueTask.FromResult(SubjectIdentifier.IsUser(caller.Subject) ? null : $"a token for a user (this token's subject '{caller.Subject}' is not a user)");
    }
}

/// <summary>The actor chain may be at most <see cref="MaxDepth"/> actors deep.</summary>
public sealed class MaxChainDepthRequirement : IAgentCallerRequirement
{
    /// <summary>Creates the requirement.</summary>
    public MaxChainDepthRequirement(int maxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDepth);
        MaxDepth = maxDepth;
    }

    /// <summary>The deepest chain allowed.</summary>
    public int MaxDepth { get; }

    /// <inheritdoc />
    public ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return ValueTask.FromResult(caller.Chain.Depth <= MaxDepth ? null : $"an actor chain of at most {MaxDepth} (this one has {caller.Chain.Depth}: {caller.Describe()})");
    }
}

/// <summary>
/// Every actor anywhere in the chain must be one of <see cref="Actors"/> (agent ids or subject identifiers); an agent
/// calling as itself is its own only actor.
/// </summary>
public sealed class AllowedActorsRequirement : IAgentCallerRequirement
{
    /// <summary>Creates the requirement.</summary>
    public AllowedActorsRequirement(IEnumerable<string> actors) => Actors = ActorSet.Of(actors);

    /// <summary>The actors allowed, as subject identifiers.</summary>
    public IReadOnlySet<string> Actors { get; }

    /// <inheritdoc />
    public ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var outsider = ActorSet.Acting(caller).FirstOrDefault(a => !Actors.Contains(a.Subject));
        return ValueTask.FromResult(outsider is null ? null : $"actors from the allowed list only ('{outsider.Subject}' is not on it)");
    }
}

/// <summary>None of <see cref="Actors"/> may appear anywhere in the chain, nor call as itself.</summary>
public sealed class ForbiddenActorsRequirement : IAgentCallerRequirement
{
    /// <summary>Creates the requirement.</summary>
    public ForbiddenActorsRequirement(IEnumerable<string> actors) => Actors = ActorSet.Of(actors);

    /// <summary>The actors forbidden, as subject identifiers.</summary>
    public IReadOnlySet<string> Actors { get; }

    /// <inheritdoc />
    public ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var banned = ActorSet.Acting(caller).FirstOrDefault(a => Actors.Contains(a.Subject));
        return ValueTask.FromResult(banned is null ? null : $"a chain without '{banned.Subject}', which may not act here");
    }
}

/// <summary>
/// The current actor must be an allowed tool of the actor before it in the chain (checked through the
/// <see cref="IAgentToolDirectory"/>); a chain of one actor meets it.
/// </summary>
public sealed class AllowedToolHopRequirement : IAgentCallerRequirement
{
    /// <inheritdoc />
    public async ValueTask<string?> CheckAsync(AgentCaller caller, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(services);
        if (caller.Chain.Depth < 2)
        {
            return null;
        }

        var current = caller.Chain[0].Subject;
        var previous = caller.Chain[1].Subject;
        if (!SubjectIdentifier.TryGetAgentId(current, out var tool) || !SubjectIdentifier.TryGetAgentId(previous, out var user))
        {
            return $"a tool hop between agents ('{previous}' to '{current}' is not one)";
        }

        var directory = services.GetService<IAgentToolDirectory>()
            ?? throw new InvalidOperationException("RequireAllowedToolHop needs an IAgentToolDirectory: register the agent registry (AddLumoAgents with a store) or call UseAgentTools on the resource-server builder.");
        var tools = await directory.AllowedToolsAsync(user, cancellationToken);
        return tools is not null && tools.Contains(tool) ? null : $"'{tool}' to be an allowed tool of '{user}', which called it";
    }
}

/// <summary>Which tools each agent may call: the registry's <c>allowed_tools</c>, as seen by a resource server.</summary>
public interface IAgentToolDirectory
{
    /// <summary>The agent ids <paramref name="agentId"/> may call as tools, or <see langword="null"/> when the agent is unknown.</summary>
    ValueTask<IReadOnlyCollection<string>?> AllowedToolsAsync(string agentId, CancellationToken cancellationToken);
}

/// <summary>The allowed tools from the agent registry, for resources that share the token server's store.</summary>
internal sealed class RegistryAgentToolDirectory : IAgentToolDirectory
{
    private readonly IAgentStore _agents;

    /// <summary>Creates the directory.</summary>
    public RegistryAgentToolDirectory(IAgentStore agents) => _agents = agents;

    /// <inheritdoc />
    public async ValueTask<IReadOnlyCollection<string>?> AllowedToolsAsync(string agentId, CancellationToken cancellationToken) =>
        (await _agents.FindAsync(agentId, cancellationToken))?.AllowedTools;
}

/// <summary>The allowed tools as configured on the resource (agent id to tool ids).</summary>
public sealed class StaticAgentToolDirectory : IAgentToolDirectory
{
    private readonly IReadOnlyDictionary<string, IReadOnlyCollection<string>> _tools;

    /// <summary>Creates the directory.</summary>
    public StaticAgentToolDirectory(IReadOnlyDictionary<string, IReadOnlyCollection<string>> tools) => _tools = tools;

    /// <inheritdoc />
    public ValueTask<IReadOnlyCollection<string>?> AllowedToolsAsync(string agentId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_tools.TryGetValue(agentId, out var tools) ? tools : null);
}

internal static class ActorSet
{
    /// <summary>Who acts in this call: the chain, or the caller itself when no one acts for anyone.</summary>
    public static IEnumerable<LumoAuth.Agents.Delegation.Actor> Acting(AgentCaller caller) => caller.Chain.Depth > 0 ? caller.Chain : [caller.CurrentActor];

    /// <summary>Agent ids and subject identifiers, as subject identifiers (<c>research-bot</c> → <c>agent:research-bot</c>).</summary>
    public static IReadOnlySet<string> Of(IEnumerable<string> actors)
    {
        ArgumentNullException.ThrowIfNull(actors);
        var set = actors.Where(a => !string.IsNullOrWhiteSpace(a))
            .Select(a => a.Contains(':', StringComparison.Ordinal) ? a : SubjectIdentifier.ForAgent(a))
            .ToHashSet(StringComparer.Ordinal);
        return set.Count > 0 ? set : throw new ArgumentException("Name at least one actor.", nameof(actors));
    }
}
