using Microsoft.AspNetCore.Authorization;

namespace LumoAuth.Agents.AspNetCore.Authorization;

/// <summary>
/// Agent requirements for authorization policies, for minimal APIs and controllers alike:
/// <c>.RequireAuthorization(p =&gt; p.RequireAgentCapabilities("tool:search").RequireActingForUser().RequireMaxChainDepth(2))</c>.
/// </summary>
public static class AgentPolicyBuilderExtensions
{
    /// <summary>The token must carry every one of <paramref name="capabilities"/>.</summary>
    public static AuthorizationPolicyBuilder RequireAgentCapabilities(this AuthorizationPolicyBuilder policy, params string[] capabilities) =>
        Add(policy, new AgentCapabilitiesRequirement(capabilities));

    /// <summary>The caller must be an agent acting for a user.</summary>
    public static AuthorizationPolicyBuilder RequireActingForUser(this AuthorizationPolicyBuilder policy) => Add(policy, new ActingForUserRequirement());

    /// <summary>The token's subject must be a user: the user through their own app, or an agent acting for them.</summary>
    public static AuthorizationPolicyBuilder RequireForUser(this AuthorizationPolicyBuilder policy) => Add(policy, new ForUserRequirement());

    /// <summary>The actor chain may be at most <paramref name="maxDepth"/> actors deep.</summary>
    public static AuthorizationPolicyBuilder RequireMaxChainDepth(this AuthorizationPolicyBuilder policy, int maxDepth) => Add(policy, new MaxChainDepthRequirement(maxDepth));

    /// <summary>Only these actors (agent ids or subject identifiers) may appear in the chain.</summary>
    public static AuthorizationPolicyBuilder AllowActors(this AuthorizationPolicyBuilder policy, params string[] actors) => Add(policy, new AllowedActorsRequirement(actors));

    /// <summary>None of these actors may appear anywhere in the chain.</summary>
    public static AuthorizationPolicyBuilder ForbidActors(this AuthorizationPolicyBuilder policy, params string[] actors) => Add(policy, new ForbiddenActorsRequirement(actors));

    /// <summary>The current actor must be an allowed tool of the actor before it.</summary>
    public static AuthorizationPolicyBuilder RequireAllowedToolHop(this AuthorizationPolicyBuilder policy) => Add(policy, new AllowedToolHopRequirement());

    private static AuthorizationPolicyBuilder Add(AuthorizationPolicyBuilder policy, IAgentCallerRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!policy.Requirements.Any(r => r is Microsoft.AspNetCore.Authorization.Infrastructure.DenyAnonymousAuthorizationRequirement))
        {
            policy.RequireAuthenticatedUser(); // no token: 401 challenge, not 403
        }

        return policy.AddRequirements(requirement);
    }
}

/// <summary>
/// The agent requirements as an attribute, for controllers and actions (or minimal APIs through
/// <c>WithMetadata</c>): <c>[RequireAgent(Capabilities = "tool:search", ActingForUser = true, MaxChainDepth = 2)]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class RequireAgentAttribute : Attribute, IAuthorizeData, IAuthorizationRequirementData
{
    /// <summary>Capabilities required, space-separated.</summary>
    public string? Capabilities { get; set; }

    /// <summary>True to require an agent acting for a user.</summary>
    public bool ActingForUser { get; set; }

    /// <summary>True to require a token for a user: the user through their own app, or an agent acting for them.</summary>
    public bool ForUser { get; set; }

    /// <summary>The deepest chain allowed, or -1 (default) for no limit here.</summary>
    public int MaxChainDepth { get; set; } = -1;

    /// <summary>Actors allowed in the chain, space-separated (agent ids or subject identifiers).</summary>
    public string? AllowedActors { get; set; }

    /// <summary>Actors forbidden in the chain, space-separated.</summary>
    public string? ForbiddenActors { get; set; }

    /// <summary>True to require that the current actor is an allowed tool of the previous one.</summary>
    public bool AllowedToolHop { get; set; }

    /// <inheritdoc />
    public string? Policy { get; set; }

    /// <inheritdoc />
    public string? Roles { get; set; }

    /// <inheritdoc />
    public string? AuthenticationSchemes { get; set; }

    /// <inheritdoc />
    public IEnumerable<IAuthorizationRequirement> GetRequirements()
    {
        yield return new Microsoft.AspNetCore.Authorization.Infrastructure.DenyAnonymousAuthorizationRequirement();
        if (Split(Capabilities) is { Length: > 0 } capabilities)
        {
            yield return new AgentCapabilitiesRequirement(capabilities);
        }

        if (ActingForUser)
        {
            yield return new ActingForUserRequirement();
        }

        if (ForUser)
        {
            yield return new ForUserRequirement();
        }

        if (MaxChainDepth >= 0)
        {
            yield return new MaxChainDepthRequirement(MaxChainDepth);
        }

        if (Split(AllowedActors) is { Length: > 0 } allowed)
        {
            yield return new AllowedActorsRequirement(allowed);
        }

        if (Split(ForbiddenActors) is { Length: > 0 } forbidden)
        {
            yield return new ForbiddenActorsRequirement(forbidden);
        }

        if (AllowedToolHop)
        {
            yield return new AllowedToolHopRequirement();
        }
    }

    private static string[] Split(string? value) => (value ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
