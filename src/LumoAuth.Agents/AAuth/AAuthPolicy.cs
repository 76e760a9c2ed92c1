using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Subjects;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.AAuth;

/// <summary>What a verified resource token asks for.</summary>
/// <param name="Resource">The resource that minted it.</param>
/// <param name="Scopes">The scopes it asks for.</param>
/// <param name="ExpiresAt">When it expires.</param>
public sealed record ResourceRequest(AAuthResource Resource, ScopeSet Scopes, DateTimeOffset ExpiresAt);

/// <summary>
/// Seed pattern 4: decides auth tokens for agents that proved possession of their key. The same rules as the other
/// patterns apply — status, capabilities, allowed tools, chain depth and every actor active — and the scope is
/// bounded by what the resource token asks for.
/// </summary>
public class AAuthPolicy
{
    private readonly IAgentStore _agents;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the policy.</summary>
    public AAuthPolicy(IAgentStore agents, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
    {
        _agents = agents;
        _options = options;
        _time = time;
    }

    /// <summary>
    /// An agent token for <paramref name="agent"/>, which signed with one of its enrolled keys: granted to active
    /// agents, for <see cref="AAuthOptions.AgentTokenLifetime"/>.
    /// </summary>
    public virtual IssuanceDecision DecideAgentToken(AgentProfile agent, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var now = _time.GetUtcNow();
        var decision = new IssuanceDecision { Agent = agent, AgentId = agent.Id, Subject = agent.Subject, IssuedAt = now, ExpiresAt = now + lifetime };
        return AgentChecks.Status(agent, OAuthErrors.InvalidClient) is { } error ? decision with { Error = error } : decision;
    }

    /// <summary>
    /// An auth token for <paramref name="agent"/> to call <paramref name="request"/>'s resource: for itself
    /// (<paramref name="upstream"/> null) or, in an exchange, continuing the upstream token's subject and chain with
    /// the agent as the new current actor.
    /// </summary>
    /// <param name="agent">The agent that signed the request.</param>
    /// <param name="request">The verified resource token.</param>
    /// <param name="requestedScopes">The <c>scope</c> asked for, or null for all the resource token asks.</param>
    /// <param name="upstream">For an exchange: the verified upstream auth token's facts.</param>
    /// <param name="cancellationToken">Cancels store look-ups.</param>
    public virtual async ValueTask<IssuanceDecision> DecideAuthAsync(
        AgentProfile agent, ResourceRequest request, IReadOnlyList<string>? requestedScopes, TokenFacts? upstream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(request);
        var options = _options.CurrentValue;
        var now = _time.GetUtcNow();
        var decision = new IssuanceDecision { Agent = agent, AgentId = agent.Id, Subject = upstream?.Subject ?? agent.Subject, Audiences = [request.Resource.Identifier!.AbsoluteUri] };
        if (AgentChecks.Status(agent, OAuthErrors.InvalidClient) is { } statusError)
        {
            return decision with { Error = statusError };
        }

        if (!agent.AllowedTools.Contains(request.Resource.Id))
        {
            return decision.Refuse(AgentErrorCodes.TargetNotAllowed, OAuthErrors.InvalidTarget,
                $"The resource '{request.Resource.Id}' is not an allowed tool of agent '{agent.Id}'.");
        }

        var bounds = new List<ScopeNarrowing.Bound>
        {
            new(request.Scopes, AgentErrorCodes.ScopeExceedsResource, $"what the resource token of '{request.Resource.Id}' asks for"),
            new(agent.Capabilities, AgentErrorCodes.ScopeNotInCapabilities, $"the capabilities of agent '{agent.Id}'"),
        };
        if (upstream is not null)
        {
            bounds.Add(new(upstream.Scopes, AgentErrorCodes.ScopeExceedsSubject, "the upstream token's scope"));
        }

        var requested = requestedScopes is { Count: > 0 } ? requestedScopes : [.. request.Scopes];
        if (ScopeNarrowing.Check(requested, [.. bounds]) is { } scopeError)
        {
            return decision with { Error = scopeError };
        }

        var scopes = new ScopeSet(requested);
        if (scopes.Count == 0)
        {
            return decision.Refuse(AgentErrorCodes.ScopeEmpty, OAuthErrors.InvalidScope, "The request leaves no scope to grant.");
        }

        var chain = ActorChain.Empty;
        if (upstream is not null)
        {
            // The upstream token's subject keeps acting; this agent becomes the current actor in front of the chain.
            if (string.Equals(upstream.Subject, agent.Subject, StringComparison.Ordinal) || upstream.Chain.Contains(agent.Subject))
            {
                return decision.Refuse(AgentErrorCodes.ActorRepeated, OAuthErrors.InvalidGrant, $"The agent '{agent.Id}' already appears in the chain.");
            }

            var chainAgents = new List<AgentProfile> { agent };
            foreach (var prior in upstream.Chain.Select(a => a.Subject).Append(upstream.Subject).Where(s => SubjectIdentifier.TryGetAgentId(s, out _)))
            {
                SubjectIdentifier.TryGetAgentId(prior, out var priorId);
                var priorAgent = await _agents.FindAsync(priorId, cancellationToken);
                if (priorAgent is null || priorAgent.Status != AgentStatus.Active)
                {
                    return decision.Refuse(AgentErrorCodes.ChainActorInactive, OAuthErrors.InvalidGrant, $"The actor '{prior}' earlier in the chain is not an active agent.");
                }

                chainAgents.Add(priorAgent);
            }

            var previous = chainAgents.Count > 1 ? chainAgents[1] : null;
            if (previous is not null && !previous.AllowedTools.Contains(agent.Id))
            {
                return decision.Refuse(AgentErrorCodes.ActorNotAllowedTool, OAuthErrors.InvalidGrant,
                    $"The agent '{agent.Id}' is not an allowed tool of '{previous.Id}', which called it.");
            }

            chain = upstream.Chain.Push(new Actor(agent.Subject, agent.Id));
            var depthLimit = Math.Min(options.MaxChainDepth, chainAgents.Min(a => a.Delegation.MaxChainDepth));
            if (chain.Depth > depthLimit)
            {
                return decision.Refuse(AgentErrorCodes.ChainTooDeep, OAuthErrors.InvalidGrant, $"The chain would be {chain.Depth} deep; the limit here is {depthLimit}.");
            }
        }

        return decision with
        {
            Scopes = scopes,
            Chain = chain,
            IssuedAt = now,
            ExpiresAt = AgentChecks.ExpiresAt(agent, options, now, upstream?.ExpiresAt),
        };
    }
}
