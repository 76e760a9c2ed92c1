using System.Collections.Immutable;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Issuance;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// An agent acting as itself (seed pattern 1): client credentials of a registered agent, decided by the
    /// <see cref="ClientCredentialsPolicy"/> against its capabilities and allowed tools. Client credentials of the
    /// host's other clients are left to the host.
    /// </summary>
    public static class ClientCredentials
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } = [IssueToken.Descriptor];

        /// <summary>Decides an agent's client credentials request and signs the granted token in.</summary>
        public sealed class IssueToken : IOpenIddictServerHandler<HandleTokenRequestContext>
        {
            private readonly ClientCredentialsPolicy _policy;
            private readonly AgentTokenIssuance _issuance;

            /// <summary>Creates the handler.</summary>
            public IssueToken(ClientCredentialsPolicy policy, BudgetGate budgets, IOptionsMonitor<LumoAgentsOptions> options, ILogger<IssueToken> logger, TimeProvider time)
            {
                _policy = policy;
                _issuance = new AgentTokenIssuance(budgets, options, logger, time);
            }

            /// <summary>The descriptor: after OpenIddict attaches the validated principals, before its sign-in.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireAgentClientCredentials>()
                    .UseScopedHandler<IssueToken>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(HandleTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var request = context.Request;
                var decision = await _issuance.DecideAsync(context, () => _policy.DecideAsync(request.ClientId!,
                    AgentTokenIssuance.RequestedScopes(request), AgentTokenIssuance.RequestedAudiences(request), context.CancellationToken));
                if (decision is not null)
                {
                    AgentTokenIssuance.SignIn(context, decision);
                }
            }
        }
    }
}
