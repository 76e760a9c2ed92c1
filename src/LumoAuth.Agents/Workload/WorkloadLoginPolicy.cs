using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Subjects;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Workload;

/// <summary>
/// Seed pattern 2, an agent logging in with its platform identity and no secret: the verified workload must be bound
/// to exactly one active agent; the token it gets is the agent's own (<c>sub=agent:&lt;id&gt;</c>), scoped within its
/// capabilities, and lives no longer than the platform token or the agent's lifetime.
/// </summary>
public class WorkloadLoginPolicy
{
    private readonly WorkloadBindings _bindings;
    private readonly IAgentStore _agents;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the policy.</summary>
    public WorkloadLoginPolicy(WorkloadBindings bindings, IAgentStore agents, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
    {
        _bindings = bindings;
        _agents = agents;
        _options = options;
        _time = time;
    }

    /// <summary>Decides a workload login of <paramref name="identity"/>.</summary>
    public virtual async ValueTask<IssuanceDecision> DecideAsync(WorkloadIdentity identity, IReadOnlyList<string>? requestedScopes, IReadOnlyList<string> requestedAudiences, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(requestedAudiences);
        var decision = new IssuanceDecision { WorkloadIssuer = identity.Issuer, WorkloadSubject = identity.Subject };
        var bound = await _bindings.ResolveAsync(identity, cancellationToken);
        if (bound.Count == 0)
        {
            return decision.Refuse(AgentErrorCodes.WorkloadNotBound, OAuthErrors.InvalidGrant,
                $"No agent is bound to workload '{ErrorText.Printable(identity.Subject, 200)}' of issuer '{identity.IssuerName}'.");
        }

        if (bound.Count > 1)
        {
            return decision.Refuse(AgentErrorCodes.WorkloadBindingAmbiguous, OAuthErrors.InvalidGrant,
                $"Workload '{ErrorText.Printable(identity.Subject, 200)}' of issuer '{identity.IssuerName}' is bound to more than one agent.");
        }

        var agentId = bound[0];
        decision = decision with { AgentId = agentId, Subject = SubjectIdentifier.ForAgent(agentId) };
        var agent = await _agents.FindAsync(agentId, cancellationToken);
        if (agent is null)
        {
            return decision.Refuse(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidGrant, $"The workload is bound to agent '{agentId}', which is not registered.");
        }

        decision = decision with { Agent = agent };
        if (AgentChecks.Status(agent, OAuthErrors.InvalidGrant) is { } statusError)
        {
            return decision with { Error = statusError };
        }

        var (scopes, scopeError) = AgentChecks.OwnScopes(agent, requestedScopes);
        if (scopeError is not null)
        {
            return decision with { Error = scopeError };
        }

        var options = _options.CurrentValue;
        var (audiences, audienceError) = AgentChecks.Audiences(agent, requestedAudiences, options);
        if (audienceError is not null)
        {
            return decision with { Scopes = scopes, Error = audienceError };
        }

        var now = _time.GetUtcNow();
        var expiresAt = AgentChecks.ExpiresAt(agent, options, now, identity.ExpiresAt);
        if (expiresAt <= now.AddSeconds(1))
        {
            return decision with { Scopes = scopes, Error = new AgentError(AgentErrorCodes.LifetimeExhausted, OAuthErrors.InvalidGrant, "The workload token has no lifetime left.") };
        }

        return decision with { Scopes = scopes, Audiences = audiences, IssuedAt = now, ExpiresAt = expiresAt };
    }
}
