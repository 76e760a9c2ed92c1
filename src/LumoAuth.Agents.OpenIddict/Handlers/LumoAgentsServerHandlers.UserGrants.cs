using System.Collections.Immutable;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// An agent redeeming a user's authorization code or refresh token: the <see cref="AgentUserGrantPolicy"/> checks
    /// again that the agent is active and the user's consent still in force and wide enough. OpenIddict then issues
    /// from its own principal; the host's other clients are left to the host.
    /// </summary>
    public static class UserGrants
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } = [CheckRedemption.Descriptor];

        /// <summary>Refuses the redemption when the agent was stopped or the consent withdrawn or narrowed since the grant.</summary>
        public sealed class CheckRedemption : IOpenIddictServerHandler<HandleTokenRequestContext>
        {
            private readonly AgentUserGrantPolicy _policy;
            private readonly AgentTokenIssuance _issuance;

            /// <summary>Creates the handler.</summary>
            public CheckRedemption(AgentUserGrantPolicy policy, BudgetGate budgets, IOptionsMonitor<LumoAgentsOptions> options, ILogger<CheckRedemption> logger, TimeProvider time)
            {
                _policy = policy;
                _issuance = new AgentTokenIssuance(budgets, options, logger, time);
            }

            /// <summary>The descriptor: after OpenIddict attaches the validated code or refresh token, before its sign-in.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
                    .AddFilter<LumoAgentsServerHandlerFilters.RequireUserGrantRedemption>()
                    .UseScopedHandler<CheckRedemption>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(HandleTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var user = context.Request.IsAuthorizationCodeGrantType() ? context.AuthorizationCodePrincipal : context.RefreshTokenPrincipal;
                if (user is null || context.ClientId is not { } client)
                {
                    return;
                }

                // Granted or not, OpenIddict issues from the user's own principal; a refusal is rejected by the issuance.
                await _issuance.DecideAsync(context, () => _policy.DecideAsync(client, user.GetClaim(OpenIddictConstants.Claims.Subject),
                    new ScopeSet(user.GetScopes()), [.. user.GetResources(), .. user.GetAudiences()], user.GetCreationDate(), context.CancellationToken));
            }
        }
    }
}
