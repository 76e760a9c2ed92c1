using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// The filters that say which requests a handler of the pack (or a built-in handler the pack takes over) runs for,
/// so that no handler tests the request itself. Registered by <c>UseLumoAgents()</c>.
/// </summary>
public static class LumoAgentsServerHandlerFilters
{
    /// <summary>Active for a client credentials request of a registered agent (seed pattern 1).</summary>
    public sealed class RequireAgentClientCredentials : IOpenIddictServerHandlerFilter<BaseContext>
    {
        private readonly IAgentStore _agents;

        /// <summary>Creates the filter.</summary>
        public RequireAgentClientCredentials(IAgentStore agents) => _agents = agents;

        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return IsAgentClientCredentialsAsync(context, _agents);
        }
    }

    /// <summary>Active for a token exchange that delegates a user's token to an agent (RFC 8693, seed pattern 3).</summary>
    public sealed class RequireDelegation : IOpenIddictServerHandlerFilter<BaseContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.Transaction.Request is { } request && IsDelegation(request));
        }
    }

    /// <summary>
    /// Active for a workload login: a token exchange whose subject token is a platform JWT
    /// (<c>urn:ietf:params:oauth:token-type:jwt</c>, seed pattern 2).
    /// </summary>
    public sealed class RequireWorkloadLogin : IOpenIddictServerHandlerFilter<BaseContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.Transaction.Request is { } request && IsWorkloadLogin(request));
        }
    }

    /// <summary>
    /// Active when a client redeems a user's authorization code or refresh token: when the client is an agent, the
    /// user's consent and the agent's status are checked again.
    /// </summary>
    public sealed class RequireUserGrantRedemption : IOpenIddictServerHandlerFilter<BaseContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.Transaction.Request is { } request &&
                (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType()));
        }
    }

    /// <summary>
    /// Active for a token request that is not the pack's: neither a token exchange nor an agent's client credentials.
    /// Put on OpenIddict's own scope, audience and authorized-party checks, which know nothing of capabilities or
    /// allowed tools; for the pack's requests the agent policy makes them, with its own codes.
    /// </summary>
    public sealed class RequireHostTokenRequest : IOpenIddictServerHandlerFilter<BaseContext>
    {
        private readonly IAgentStore _agents;

        /// <summary>Creates the filter.</summary>
        public RequireHostTokenRequest(IAgentStore agents) => _agents = agents;

        /// <inheritdoc />
        public async ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return context.Transaction.Request is not { } request ||
                   (!request.IsTokenExchangeGrantType() && !IsApprovalGrant(request) && !await IsAgentClientCredentialsAsync(context, _agents));
        }
    }

    /// <summary>Active for the OpenID CIBA grant: an agent redeeming a user's approval (<c>urn:openid:params:grant-type:ciba</c>).</summary>
    public sealed class RequireApprovalGrant : IOpenIddictServerHandlerFilter<BaseContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.Transaction.Request is { } request && IsApprovalGrant(request));
        }
    }

    /// <summary>
    /// Put on OpenIddict's grant type permission check: inactive for the CIBA grant, which the approval policy decides
    /// (only the agent an approval was asked by can redeem it), so agents registered before it existed can use it.
    /// </summary>
    public sealed class SkipApprovalGrant : IOpenIddictServerHandlerFilter<BaseContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.Transaction.Request is not { } request || !IsApprovalGrant(request));
        }
    }

    private static bool IsApprovalGrant(OpenIddictRequest request) =>
        string.Equals(request.GrantType, LumoAgentsOpenIddictConstants.CibaGrantType, StringComparison.Ordinal);

    /// <summary>
    /// Active for a token request that redeems no earlier grant (neither an authorization code nor a refresh token).
    /// Put on OpenIddict's resource permission check: on a redemption RFC 8707 §2.2 bounds the resources by the grant,
    /// which <c>LumoAgentsServerHandlers.Resources.ValidateGrantedResources</c> checks.
    /// </summary>
    public sealed class RequireNewGrant : IOpenIddictServerHandlerFilter<BaseContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(BaseContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.Transaction.Request is not { } request ||
                !(request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType()));
        }
    }

    /// <summary>
    /// Put on OpenIddict's own client identification (<c>ValidateClientId</c>): active on every request except the one
    /// anonymous request the pack documents, a token exchange that names no client, where the actor token (delegation)
    /// or the platform token (workload login) proves the agent. The pack never turns on <c>AcceptAnonymousClients</c>,
    /// so introspection, revocation and every other grant keep requiring an identified client.
    /// </summary>
    public sealed class RequireClientUnlessAnonymousExchange : IOpenIddictServerHandlerFilter<ProcessAuthenticationContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(ProcessAuthenticationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(!IsAnonymousExchange(context));
        }

        private static bool IsAnonymousExchange(ProcessAuthenticationContext context) =>
            context.EndpointType == OpenIddictServerEndpointType.Token &&
            context.Request is { } request && request.IsTokenExchangeGrantType() &&
            string.IsNullOrEmpty(context.ClientId) && string.IsNullOrEmpty(request.ClientAssertion);
    }

    /// <summary>Active while OpenIddict generates an access token the agent policy granted.</summary>
    public sealed class RequireAgentAccessToken : IOpenIddictServerHandlerFilter<GenerateTokenContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(GenerateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(context.TokenType == TokenTypeIdentifiers.AccessToken &&
                context.Transaction.GetAgentDecision() is { IsGranted: true });
        }
    }

    /// <summary>
    /// Active for a token that is not DPoP-bound: OpenIddict's proof-of-possession check knows certificate bindings only
    /// and throws on <c>cnf.jkt</c>, which the pack checks itself.
    /// </summary>
    public sealed class SkipDpopBoundTokens : IOpenIddictServerHandlerFilter<ValidateTokenContext>
    {
        /// <inheritdoc />
        public ValueTask<bool> IsActiveAsync(ValidateTokenContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            return ValueTask.FromResult(LumoAgentsServerHandlers.Dpop.ValidateProof.BoundKey(context.Principal) is null);
        }
    }

    private static bool IsWorkloadLogin(OpenIddictRequest request) =>
        request.IsTokenExchangeGrantType() &&
        string.Equals(request.SubjectTokenType, LumoAgentsOpenIddictConstants.JwtTokenType, StringComparison.Ordinal);

    private static bool IsDelegation(OpenIddictRequest request) => request.IsTokenExchangeGrantType() && !IsWorkloadLogin(request);

    /// <summary>
    /// Client credentials naming a registered agent. The answer is kept in the request for its client, since several
    /// handlers ask; a request whose client is not known yet (a client assertion not read yet) is asked again later.
    /// </summary>
    private static async ValueTask<bool> IsAgentClientCredentialsAsync(BaseContext context, IAgentStore agents)
    {
        if (context.Transaction.Request is not { } request || !request.IsClientCredentialsGrantType() || request.ClientId is not { Length: > 0 } clientId)
        {
            return false;
        }

        var state = context.Transaction.GetAgentState();
        if (state.AgentClient is { } known && string.Equals(known.ClientId, clientId, StringComparison.Ordinal))
        {
            return known.IsAgent;
        }

        var isAgent = await agents.FindAsync(clientId, context.CancellationToken) is not null;
        state.AgentClient = (clientId, isAgent);
        return isAgent;
    }
}
