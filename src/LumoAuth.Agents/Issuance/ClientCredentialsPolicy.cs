using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Issuance;

/// <summary>
/// Seed pattern 1, an agent acting as itself: <c>sub=agent:&lt;id&gt;</c>, scope within its capabilities
/// (its default scopes when none is asked, never silently all of them), audience among its allowed tools,
/// and its own short lifetime.
/// </summary>
public class ClientCredentialsPolicy
{
    private readonly IAgentStore _agents;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the policy.</summary>
    public ClientCredentialsPolicy(IAgentStore agents, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
    {
        _agents = agents;
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Decides a client credentials request of an authenticated client. Returns <see langword="null"/> when the
    /// client is not an agent, so the host's own handling applies.
    /// </summary>
    /// <param name="clientId">The authenticated client.</param>
    /// <param name="requestedScopes">The <c>scope</c> values, or <see langword="null"/> when none was sent.</param>
    /// <param name="requestedAudiences">The <c>audience</c> and <c>resource</c> values.</param>
    /// <param name="cancellationToken">Cancels the store look-up.</param>
    public virtual async ValueTask<IssuanceDecision?> DecideAsync(
        string clientId, IReadOnlyList<string>? requestedScopes, IReadOnlyList<string> requestedAudiences, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestedAudiences);
        var agent = await _agents.FindAsync(clientId, cancellationToken);
        if (agent is null)
        {
            return null;
        }

        var options = _options.CurrentValue;
        var now = _time.GetUtcNow();
        var decision = new IssuanceDecision { Agent = agent, AgentId = agent.Id, Subject = agent.Subject };
        if (AgentChecks.Status(agent, OAuthErrors.InvalidClient) is { } statusError)
        {
            return decision with { Error = statusError };
        }

        var (scopes, scopeError) = AgentChecks.OwnScopes(agent, requestedScopes);
        if (scopeError is not null)
        {
            return decision with { Error = scopeError };
        }

        var (audiences, audienceError) = AgentChecks.Audiences(agent, requestedAudiences, options, takesAudience: false);
        if (audienceError is not null)
        {
            return decision with { Scopes = scopes, Error = audienceError };
        }

        return decision with
        {
            Scopes = scopes,
            Audiences = audiences,
            IssuedAt = now,
            ExpiresAt = AgentChecks.ExpiresAt(agent, options, now),
        };
    }
}
