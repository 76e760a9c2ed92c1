using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.OpenIddict.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// What every grant's issuance handler does around its policy: a spent budget refuses the grant, a failing policy
/// refuses the request instead of escaping, the decision is kept for the response and audit handlers, and a refusal
/// goes out with its code.
/// </summary>
internal sealed partial class AgentTokenIssuance
{
    private readonly BudgetGate _budgets;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public AgentTokenIssuance(BudgetGate budgets, IOptionsMonitor<LumoAgentsOptions> options, ILogger logger, TimeProvider time)
    {
        _budgets = budgets;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>The <c>scope</c> values, or null when none was sent.</summary>
    public static IReadOnlyList<string>? RequestedScopes(OpenIddictRequest request) =>
        request.Scope?.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The <c>audience</c> and <c>resource</c> values.</summary>
    public static IReadOnlyList<string> RequestedAudiences(OpenIddictRequest request) => [.. request.GetAudiences(), .. request.GetResources()];

    /// <summary>
    /// Decides with <paramref name="decide"/> and keeps the decision; returns it when it grants a token, after rejecting
    /// the request otherwise. Null also when <paramref name="decide"/> finds the request is not the pack's.
    /// </summary>
    public async ValueTask<IssuanceDecision?> DecideAsync(HandleTokenRequestContext context, Func<ValueTask<IssuanceDecision?>> decide)
    {
        var state = context.Transaction.GetAgentState();
        IssuanceDecision? decision;
        try
        {
            decision = await decide();

            // An agent that has spent a budget gets no new token, as itself, by workload login or as an actor.
            if (decision is { Error: null, Agent: { } agent } && await _budgets.CheckAsync(agent, context.CancellationToken) is { } spent)
            {
                decision = decision with { Error = spent.Error };
                state.RetryAt = spent.ResetAt;
            }

            // An agent registered for sender-constrained tokens never gets a bearer one (RFC 9449).
            if (decision is { Error: null, Agent: { RequireSenderConstrainedTokens: true } bound } && state.DpopThumbprint is null)
            {
                decision = decision with
                {
                    Error = new AgentError(AgentErrorCodes.DpopProofRequired, Dpop.DpopProofOutcome.InvalidProof,
                        $"Agent '{bound.Id}' receives sender-constrained tokens only: send a DPoP proof of its key with the request."),
                };
            }
        }
#pragma warning disable CA1031 // Whatever failed, the request is refused and recorded; no token leaves.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogPolicyFailed(_logger, exception);
            decision = new IssuanceDecision
            {
                AgentId = context.Request.ClientId,
                Error = new AgentError(AgentErrorCodes.PolicyUnavailable, StoreFailures.OAuthErrorFor(exception),
                    "The agent policy could not be evaluated; no token was issued. Try again later."),
            };
            if (StoreFailures.IsUnavailable(exception))
            {
                state.RetryAt = _time.GetUtcNow().AddSeconds(StoreFailures.RetryAfterSeconds);
            }
        }

        if (decision is null)
        {
            return null;
        }

        state.Decision = decision;
        if (decision.Error is { } error)
        {
            AgentRejection.Reject(context, error, _options.CurrentValue);
            return null;
        }

        return decision;
    }

    /// <summary>Signs the granted token in as the agent's, whatever client the request named or did not name.</summary>
    public static void SignIn(HandleTokenRequestContext context, IssuanceDecision decision)
    {
        var agentId = decision.Agent!.Id;

        // A request proven by a token alone names no client; the token is still the agent's, and OpenIddict writes
        // client_id (RFC 9068 section 2.2) and links the token entry from the request's client.
        if (string.IsNullOrEmpty(context.Request.ClientId))
        {
            context.Request.ClientId = agentId;
        }

        context.SignIn(AgentPrincipalFactory.Create(decision, agentId));
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.PolicyFailed, EventName = nameof(LumoAgentsEventIds.PolicyFailed), Level = LogLevel.Error, Message = "The agent policy failed; the token request was refused.")]
    private static partial void LogPolicyFailed(ILogger logger, Exception exception);
}
