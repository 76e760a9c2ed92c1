using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Subjects;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Delegation;

/// <summary>
/// Seed pattern 3, an agent acting for a user (RFC 8693). Grants a token whose <c>sub</c> is the user and whose
/// <c>act</c> names the new actor with the prior chain nested inside, only when all of these hold:
/// <list type="bullet">
/// <item>the actor is an active agent, proven by its own actor token and/or its client authentication (naming the same agent);</item>
/// <item>the subject is a user; <c>may_act</c>, when present, names the actor and is not combined with <c>act</c>;</item>
/// <item>first hop: the actor may act for users (<c>delegate:user</c>) and the user consented to it;</item>
/// <item>further hop: the new actor is an allowed tool of the current actor, every agent in the chain is still active,
/// and the consent given to the chain's first agent is still in force;</item>
/// <item>the subject token is bound to the actor (issued to it, for it, or naming it in <c>may_act</c>);</item>
/// <item>the chain stays within every agent's depth limit and names no actor twice;</item>
/// <item>scope = requested ∩ subject token ∩ actor capabilities ∩ consent; audience among the actor's allowed tools;</item>
/// <item>lifetime ≤ what is left of both input tokens and ≤ the actor's lifetime;</item>
/// <item>neither input token predates a suspension or revocation of an agent it names, nor a withdrawal of the consent it relies on.</item>
/// </list>
/// Each failure is a distinct <see cref="AgentErrorCodes">code</see>.
/// </summary>
public class DelegationPolicy
{
    private readonly IAgentStore _agents;
    private readonly IConsentStore _consents;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;
    private readonly TokenLiveness _liveness;
    private readonly Approvals.IApprovalStore? _approvals;

    /// <summary>Creates the policy.</summary>
    public DelegationPolicy(IAgentStore agents, IConsentStore consents, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time, TokenLiveness? liveness = null,
        Approvals.IApprovalStore? approvals = null)
    {
        _approvals = approvals;
        _liveness = liveness ?? new TokenLiveness(agents, consents, time, approvals);
        _agents = agents;
        _consents = consents;
        _options = options;
        _time = time;
    }

    /// <summary>Decides one delegation request.</summary>
    public virtual async ValueTask<IssuanceDecision> DecideAsync(DelegationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = _options.CurrentValue;
        var subjectToken = request.SubjectToken;
        var decision = new IssuanceDecision { Subject = subjectToken.Subject, Chain = subjectToken.Chain };

        // Who is acting: the actor token proves it, the client authentication may too; both must agree.
        string actorId;
        if (request.ActorToken is { } actorToken)
        {
            if (!SubjectIdentifier.TryGetAgentId(actorToken.Subject, out actorId) || actorToken.Chain.Depth > 0 ||
                !string.Equals(actorToken.ClientId, actorId, StringComparison.Ordinal))
            {
                return decision.Refuse(AgentErrorCodes.ActorNotAgent, OAuthErrors.InvalidGrant,
                    "The actor token must be an agent's own access token (sub=agent:<id>, issued to that agent, with no act claim).");
            }

            if ((request.AuthenticatedClientId ?? request.NamedClientId) is { } client && !string.Equals(client, actorId, StringComparison.Ordinal))
            {
                return decision.Refuse(AgentErrorCodes.ActorClientMismatch, OAuthErrors.InvalidGrant,
                    $"The authenticated client '{client}' and the actor token's agent '{actorId}' differ.");
            }
        }
        else if (request.AuthenticatedClientId is { } client)
        {
            actorId = client;
        }
        else
        {
            return decision.Refuse(AgentErrorCodes.ActorMissing, OAuthErrors.InvalidRequest,
                "Delegation needs the acting agent: send its access token as actor_token, or authenticate as the agent.");
        }

        decision = decision with { AgentId = actorId, Chain = subjectToken.Chain.Push(new Actor(SubjectIdentifier.ForAgent(actorId), actorId)) };
        var actor = await _agents.FindAsync(actorId, cancellationToken);
        if (actor is null)
        {
            return decision.Refuse(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidGrant, $"No agent '{actorId}' is registered.");
        }

        decision = decision with { Agent = actor };
        if (AgentChecks.Status(actor, OAuthErrors.InvalidGrant) is { } statusError)
        {
            return decision with { Error = statusError };
        }

        if (!SubjectIdentifier.IsUser(subjectToken.Subject))
        {
            return decision.Refuse(AgentErrorCodes.SubjectNotUser, OAuthErrors.InvalidGrant,
                "The subject token does not represent a user; an agent acts for users, not for other agents' own tokens.");
        }

        if (subjectToken.MayAct is { } mayAct)
        {
            if (subjectToken.Chain.Depth > 0)
            {
                return decision.Refuse(AgentErrorCodes.MayActWithAct, OAuthErrors.InvalidGrant,
                    "The subject token carries both may_act and act.");
            }

            // RFC 8693 section 4.4: sub (and client_id, iss when given) must name the actor as this server knows it.
            if (!string.Equals(mayAct.Subject, actor.Subject, StringComparison.Ordinal) ||
                (mayAct.ClientId is not null && !string.Equals(mayAct.ClientId, actor.Id, StringComparison.Ordinal)) ||
                (mayAct.Issuer is not null && !string.Equals(mayAct.Issuer, subjectToken.Issuer, StringComparison.Ordinal)))
            {
                return decision.Refuse(AgentErrorCodes.MayActMismatch, OAuthErrors.InvalidGrant,
                    $"The subject token's may_act names '{mayAct.Subject}', not '{actor.Subject}'.");
            }
        }

        var chainAgents = new List<AgentProfile> { actor };
        string originAgentId;
        if (subjectToken.Chain.Depth == 0)
        {
            if (!actor.MayActForUsers)
            {
                return decision.Refuse(AgentErrorCodes.DelegationNotAllowed, OAuthErrors.InvalidGrant,
                    $"The agent '{actor.Id}' may not act for users: it lacks the '{AgentCapabilities.DelegateUser}' capability or its delegation rules forbid it.");
            }

            originAgentId = actor.Id;
            var bound = string.Equals(subjectToken.ClientId, actor.Id, StringComparison.Ordinal) ||
                        MeantFor(subjectToken, actor, options) || subjectToken.MayAct is not null;
            if (options.RequireSubjectTokenBoundToActor && !bound)
            {
                return decision.Refuse(AgentErrorCodes.SubjectNotBoundToActor, OAuthErrors.InvalidGrant,
                    $"The subject token was not issued to agent '{actor.Id}', is not meant for it (aud) and does not name it in may_act.");
            }
        }
        else
        {
            if (subjectToken.Chain.Contains(actor.Subject))
            {
                return decision.Refuse(AgentErrorCodes.ActorRepeated, OAuthErrors.InvalidGrant,
                    $"The agent '{actor.Id}' already appears in the actor chain.");
            }

            foreach (var prior in subjectToken.Chain)
            {
                var priorAgent = SubjectIdentifier.TryGetAgentId(prior.Subject, out var priorId)
                    ? await _agents.FindAsync(priorId, cancellationToken)
                    : null;
                if (priorAgent is null || priorAgent.Status != AgentStatus.Active)
                {
                    return decision.Refuse(AgentErrorCodes.ChainActorInactive, OAuthErrors.InvalidGrant,
                        $"The actor '{prior.Subject}' earlier in the chain is not an active agent.");
                }

                chainAgents.Add(priorAgent);
            }

            var currentAgent = chainAgents[1];
            if (!currentAgent.AllowedTools.Contains(actor.Id))
            {
                return decision.Refuse(AgentErrorCodes.ActorNotAllowedTool, OAuthErrors.InvalidGrant,
                    $"The agent '{actor.Id}' is not an allowed tool of the current actor '{currentAgent.Id}'.");
            }

            originAgentId = chainAgents[^1].Id;
            if (options.RequireSubjectTokenBoundToActor && !MeantFor(subjectToken, actor, options))
            {
                return decision.Refuse(AgentErrorCodes.SubjectNotBoundToActor, OAuthErrors.InvalidGrant,
                    $"The delegated subject token is not meant for agent '{actor.Id}' (its aud names neither it nor a resource it serves).");
            }

        }

        var depthLimit = Math.Min(options.MaxChainDepth, chainAgents.Min(a => a.Delegation.MaxChainDepth));
        if (decision.Chain.Depth > depthLimit)
        {
            return decision.Refuse(AgentErrorCodes.ChainTooDeep, OAuthErrors.InvalidGrant,
                $"The actor chain would hold {decision.Chain.Depth} actors; the limit is {depthLimit}.");
        }

        var consent = await _consents.FindActiveAsync(subjectToken.Subject, originAgentId, cancellationToken);
        if (consent is null)
        {
            return decision.Refuse(AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidGrant,
                $"The user has not consented to agent '{originAgentId}' acting for them, or has withdrawn that consent.");
        }

        // A stop is for good: tokens from before a suspension or a withdrawn consent do not come back with a resume.
        foreach (var input in new[] { subjectToken, request.ActorToken })
        {
            if (input is not null && await _liveness.CheckRevocationAsync(input, cancellationToken) is { } revoked)
            {
                return decision with { Error = revoked };
            }
        }

        // Capabilities that need the user's approval of each use pass only under an approval that still lasts, which is
        // the user's grant of them (so neither the subject token nor the consent bounds them); asked for without one, the
        // agent is sent to the backchannel endpoint, and they are left out of a default scope.
        var rules = Approvals.ApprovalRule.For(actor, options.Approvals);
        var approved = new List<string>();
        DateTimeOffset? approvedUntil = null;
        var requestedScopes = request.RequestedScopes;
        if (rules.Count > 0 && requestedScopes is { Count: > 0 })
        {
            foreach (var capability in requestedScopes.Distinct(StringComparer.Ordinal).Where(s => rules.ContainsKey(s) && actor.Capabilities.Contains(s)))
            {
                var lasting = _approvals is null ? null : await _approvals.FindLastingApprovalAsync(subjectToken.Subject, actor.Id, capability, _time.GetUtcNow(), cancellationToken);
                if (lasting?.ApprovalValidUntil is not { } until)
                {
                    return decision.Refuse(AgentErrorCodes.ApprovalRequired, OAuthErrors.InvalidGrant,
                        $"The capability '{capability}' needs the user's approval of each use: ask for it at the backchannel authentication endpoint (OpenID CIBA).");
                }

                approved.Add(capability);
                approvedUntil = approvedUntil is { } earlier && earlier < until ? earlier : until;
            }

            requestedScopes = [.. requestedScopes.Where(s => !approved.Contains(s, StringComparer.Ordinal))];
        }

        ScopeSet scopes;
        if (requestedScopes is { Count: > 0 } requested)
        {
            if (ScopeNarrowing.Check(requested,
                    new ScopeNarrowing.Bound(subjectToken.Scopes, AgentErrorCodes.ScopeExceedsSubject, "the subject token"),
                    new ScopeNarrowing.Bound(actor.Capabilities, AgentErrorCodes.ScopeNotInCapabilities, $"the capabilities of agent '{actor.Id}'"),
                    new ScopeNarrowing.Bound(consent.Scopes, AgentErrorCodes.ScopeNotConsented, "the scopes the user consented to")) is { } scopeError)
            {
                return decision with { Error = scopeError };
            }

            scopes = new ScopeSet(requested.Concat(approved));
        }
        else if (approved.Count > 0)
        {
            scopes = new ScopeSet(approved);
        }
        else
        {
            scopes = subjectToken.Scopes.Intersect(actor.Capabilities).Intersect(consent.Scopes).Except(new ScopeSet(rules.Keys));
        }

        decision = decision with { Scopes = scopes };
        if (scopes.Count == 0)
        {
            return decision.Refuse(AgentErrorCodes.ScopeEmpty, OAuthErrors.InvalidScope,
                "No scope is left once the subject token, the agent's capabilities and the user's consent are intersected.");
        }

        var (audiences, audienceError) = AgentChecks.Audiences(actor, request.RequestedAudiences, options);
        if (audienceError is not null)
        {
            return decision with { Error = audienceError };
        }

        var now = _time.GetUtcNow();
        var expiresAt = AgentChecks.ExpiresAt(actor, options, now, subjectToken.ExpiresAt, request.ActorToken?.ExpiresAt, approvedUntil);
        if (expiresAt <= now.AddSeconds(1))
        {
            return decision.Refuse(AgentErrorCodes.LifetimeExhausted, OAuthErrors.InvalidGrant,
                "The input tokens have no lifetime left to delegate.");
        }

        return decision with { Audiences = audiences, IssuedAt = now, ExpiresAt = expiresAt };
    }

    /// <summary>
    /// Whether the token's <c>aud</c> names the actor, or a registered resource the actor serves
    /// (<see cref="Resources.ProtectedResource.Agent"/>): a token for an MCP server is meant for the agent behind it.
    /// </summary>
    private static bool MeantFor(TokenFacts token, AgentProfile actor, LumoAgentsOptions options) =>
        token.Audiences.Contains(actor.Id) ||
        options.Resources.Any(r => string.Equals(r.Agent, actor.Id, StringComparison.Ordinal) && token.Audiences.Contains(r.Identifier));
}
