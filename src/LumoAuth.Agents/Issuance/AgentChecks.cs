using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Issuance;

/// <summary>Checks shared by every way an agent gets a token.</summary>
internal static class AgentChecks
{
    public static AgentError? Status(AgentProfile agent, string oauthError) => agent.Status switch
    {
        AgentStatus.Active => null,
        AgentStatus.Suspended => new AgentError(AgentErrorCodes.AgentSuspended, oauthError, $"The agent '{agent.Id}' is suspended."),
        _ => new AgentError(AgentErrorCodes.AgentRevoked, oauthError, $"The agent '{agent.Id}' is revoked."),
    };

    /// <summary>
    /// The scopes of an agent acting as itself: exactly those asked for when each is a capability, its default
    /// scopes when none is asked (never silently all of its capabilities), else the refusal naming the scope.
    /// </summary>
    public static (ScopeSet Scopes, AgentError? Error) OwnScopes(AgentProfile agent, IReadOnlyList<string>? requested)
    {
        if (requested is null || requested.Count == 0)
        {
            return (agent.DefaultScopes.Intersect(agent.Capabilities), null);
        }

        var error = ScopeNarrowing.Check(requested,
            new ScopeNarrowing.Bound(agent.Capabilities, AgentErrorCodes.ScopeNotInCapabilities, $"the capabilities of agent '{agent.Id}'"));
        return error is null ? (new ScopeSet(requested), null) : (ScopeSet.Empty, error);
    }

    /// <summary>
    /// The requested audiences if every one is an allowed tool, else the refusal. <paramref name="takesAudience"/> says
    /// whether the grant has RFC 8693's <c>audience</c> parameter, so that a request naming none is told what works.
    /// </summary>
    public static (IReadOnlyList<string> Audiences, AgentError? Error) Audiences(AgentProfile agent, IReadOnlyList<string> requested, LumoAgentsOptions options,
        bool takesAudience = true)
    {
        foreach (var audience in requested)
        {
            if (!agent.AllowedTools.Contains(audience) && !string.Equals(audience, options.DefaultAudience, StringComparison.Ordinal))
            {
                return ([], new AgentError(AgentErrorCodes.TargetNotAllowed, OAuthErrors.InvalidTarget,
                    $"The audience '{audience}' is not an allowed tool of agent '{agent.Id}'."));
            }
        }

        if (requested.Count > 0)
        {
            return (requested.Distinct(StringComparer.Ordinal).ToArray(), null);
        }

        return options.DefaultAudience is { } audienceByDefault
            ? ([audienceByDefault], null)
            : ([], new AgentError(AgentErrorCodes.AudienceRequired, OAuthErrors.InvalidTarget, takesAudience
                ? "The request names no audience and the server has no default audience; name one of the agent's allowed tools with 'audience'."
                // 'resource' (RFC 8707) must be an absolute URI, which an allowed tool never is.
                : "The request names no audience and the server has no default audience. A client credentials request cannot name one ('audience' belongs to token exchange): set the server's default audience (LumoAgents:DefaultAudience)."));
    }

    /// <summary>The earliest of the agent's lifetime, the server ceiling and every input token's expiry.</summary>
    public static DateTimeOffset ExpiresAt(AgentProfile agent, LumoAgentsOptions options, DateTimeOffset now, params DateTimeOffset?[] inputExpiries)
    {
        var lifetime = agent.AccessTokenLifetime < options.MaxAccessTokenLifetime ? agent.AccessTokenLifetime : options.MaxAccessTokenLifetime;
        var expiresAt = now + lifetime;
        foreach (var expiry in inputExpiries)
        {
            if (expiry is { } value && value < expiresAt)
            {
                expiresAt = value;
            }
        }

        return expiresAt;
    }
}
