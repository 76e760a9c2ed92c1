using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.OpenIddict.Tokens;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Decides agent token requests with the core policies and signs the result in: client credentials of a
/// registered agent (seed pattern 1) and every token exchange (seed pattern 3). A request that is not the
/// pack's (client credentials of a non-agent client) is left to the host.
/// </summary>
public sealed partial class IssueAgentToken : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    private readonly ClientCredentialsPolicy _clientCredentials;
    private readonly DelegationPolicy _delegation;
    private readonly AgentUserGrantPolicy _userGrants;
    private readonly WorkloadLoginPolicy _workloadLogin;
    private readonly BudgetGate _budgets;
    private readonly IOpenIddictApplicationManager _applications;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly ILogger<IssueAgentToken> _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler.</summary>
    public IssueAgentToken(ClientCredentialsPolicy clientCredentials, DelegationPolicy delegation, AgentUserGrantPolicy userGrants, WorkloadLoginPolicy workloadLogin, BudgetGate budgets,
        IOpenIddictApplicationManager applications, IOptionsMonitor<LumoAgentsOptions> options, ILogger<IssueAgentToken> logger, TimeProvider time)
    {
        _time = time;
        _clientCredentials = clientCredentials;
        _delegation = delegation;
        _userGrants = userGrants;
        _workloadLogin = workloadLogin;
        _budgets = budgets;
        _applications = applications;
        _options = options;
        _logger = logger;
    }

    /// <summary>The descriptor: after OpenIddict attaches the validated input principals, before its sign-in.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseScopedHandler<IssueAgentToken>()
            .SetOrder(int.MinValue + 200_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <inheritdoc />
    public async ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        IReadOnlyList<string>? scopes = request.Scope?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        IReadOnlyList<string> audiences = [.. request.GetAudiences(), .. request.GetResources()];

        IssuanceDecision? decision;
        try
        {
            decision = await DecideAsync(context, scopes, audiences);

            // An agent that has spent a budget gets no new token, as itself, by workload login or as an actor.
            if (decision is { Error: null, Agent: { } agent } && await _budgets.CheckAsync(agent, context.CancellationToken) is { } spent)
            {
                decision = decision with { Error = spent.Error };
                context.Transaction.Properties[LumoAgentsOpenIddictConstants.RetryAfterProperty] = spent.ResetAt;
            }
        }
#pragma warning disable CA1031 // Whatever failed, the request is refused and recorded; no token leaves.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogPolicyFailed(_logger, exception);
            var unavailable = StoreFailures.IsUnavailable(exception);
            decision = new IssuanceDecision
            {
                AgentId = request.ClientId,
                Error = new AgentError(AgentErrorCodes.PolicyUnavailable, StoreFailures.OAuthErrorFor(exception),
                    "The agent policy could not be evaluated; no token was issued. Try again later."),
            };
            if (unavailable)
            {
                context.Transaction.Properties[LumoAgentsOpenIddictConstants.RetryAfterProperty] = _time.GetUtcNow().AddSeconds(StoreFailures.RetryAfterSeconds);
            }
        }

        if (decision is null)
        {
            return;
        }

        context.Transaction.SetProperty(LumoAgentsOpenIddictConstants.DecisionProperty, decision);
        if (decision.Error is { } error)
        {
            AgentRejection.Reject(context, error, _options.CurrentValue);
            return;
        }

        if (!request.IsTokenExchangeGrantType() && !request.IsClientCredentialsGrantType())
        {
            return; // a user's code or refresh token, re-checked: OpenIddict issues from its own principal
        }

        var agentId = decision.Agent!.Id;
        if (!string.IsNullOrEmpty(request.ClientId) && !string.Equals(request.ClientId, agentId, StringComparison.Ordinal))
        {
            // A token never carries a client other than its agent, whatever the request named.
            var mismatch = new AgentError(AgentErrorCodes.ActorClientMismatch, OAuthErrors.InvalidGrant,
                $"The request names client '{request.ClientId}', but the token would be agent '{agentId}''s.");
            context.Transaction.SetProperty(LumoAgentsOpenIddictConstants.DecisionProperty, decision with { Error = mismatch });
            AgentRejection.Reject(context, mismatch, _options.CurrentValue);
            return;
        }

        if (string.IsNullOrEmpty(request.ClientId))
        {
            // A request proven by the actor token alone names no client; the token is still the agent's, and
            // OpenIddict writes client_id (RFC 9068 section 2.2) and links the token entry from the request's client.
            request.ClientId = agentId;
        }

        context.SignIn(AgentPrincipalFactory.Create(decision, agentId));
    }

    private async ValueTask<IssuanceDecision?> DecideAsync(HandleTokenRequestContext context, IReadOnlyList<string>? scopes, IReadOnlyList<string> audiences)
    {
        var request = context.Request;
        if (request.IsClientCredentialsGrantType() && context.ClientId is { } clientId)
        {
            return await _clientCredentials.DecideAsync(clientId, scopes, audiences, context.CancellationToken);
        }

        if (request.IsTokenExchangeGrantType() &&
            string.Equals(request.SubjectTokenType, LumoAgentsOpenIddictConstants.JwtTokenType, StringComparison.Ordinal))
        {
            var identity = context.Transaction.GetProperty<WorkloadIdentity>(ValidateWorkloadToken.WorkloadProperty)
                ?? throw new InvalidOperationException("The workload token was not validated by the agent pack.");
            context.Transaction.Properties[LumoAgentsOpenIddictConstants.AnonymousProperty] = true;
            return await _workloadLogin.DecideAsync(identity, scopes, audiences, context.CancellationToken);
        }

        if (request.IsTokenExchangeGrantType())
        {
            return await DecideDelegationAsync(context, scopes, audiences);
        }

        var userPrincipal = request.IsAuthorizationCodeGrantType() ? context.AuthorizationCodePrincipal
            : request.IsRefreshTokenGrantType() ? context.RefreshTokenPrincipal
            : null;
        if (userPrincipal is not null && context.ClientId is { } redeemingClient)
        {
            return await _userGrants.DecideAsync(redeemingClient, userPrincipal.GetClaim(OpenIddictConstants.Claims.Subject),
                new ScopeSet(userPrincipal.GetScopes()), [.. userPrincipal.GetResources(), .. userPrincipal.GetAudiences()], userPrincipal.GetCreationDate(), context.CancellationToken);
        }

        return null;
    }

    private async ValueTask<IssuanceDecision> DecideDelegationAsync(HandleTokenRequestContext context, IReadOnlyList<string>? scopes, IReadOnlyList<string> audiences)
    {
        if (context.SubjectTokenPrincipal is null)
        {
            return Malformed("subject", null);
        }

        if (!TokenFactsReader.TryRead(context.SubjectTokenPrincipal, out var subject, out var subjectError))
        {
            return Malformed("subject", subjectError);
        }

        TokenFacts? actor = null;
        if (context.ActorTokenPrincipal is not null && !TokenFactsReader.TryRead(context.ActorTokenPrincipal, out actor, out var actorError))
        {
            return Malformed("actor", actorError);
        }

        // Only a confidential client's identity counts as authentication: a public client_id proves nothing.
        string? authenticatedClient = null;
        if (context.ClientId is { Length: > 0 } clientId &&
            await _applications.FindByClientIdAsync(clientId, context.CancellationToken) is { } application &&
            await _applications.HasClientTypeAsync(application, OpenIddictConstants.ClientTypes.Confidential, context.CancellationToken))
        {
            authenticatedClient = clientId;
        }
        else
        {
            context.Transaction.Properties[LumoAgentsOpenIddictConstants.AnonymousProperty] = true;
            if (_options.CurrentValue.RequireClientAuthenticationForExchange)
            {
                return new IssuanceDecision
                {
                    Subject = subject.Subject,
                    Error = new AgentError(AgentErrorCodes.ClientAuthenticationRequired, OAuthErrors.InvalidClient,
                        "This server requires the acting agent to authenticate as a confidential client for token exchange (RFC 8693 section 5)."),
                };
            }
        }

        return await _delegation.DecideAsync(new DelegationRequest
        {
            SubjectToken = subject,
            ActorToken = actor,
            AuthenticatedClientId = authenticatedClient,
            NamedClientId = string.IsNullOrEmpty(context.ClientId) ? null : context.ClientId,
            RequestedScopes = scopes,
            RequestedAudiences = audiences,
        }, context.CancellationToken);

        static IssuanceDecision Malformed(string which, string? reason) => new()
        {
            Error = new AgentError(AgentErrorCodes.ChainMalformed, OAuthErrors.InvalidGrant, $"The {which} token is not usable: {reason ?? "it carries no principal"}"),
        };
    }

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "The agent policy failed; the token request was refused.")]
    private static partial void LogPolicyFailed(ILogger logger, Exception exception);
}
