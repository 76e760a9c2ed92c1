using System.Collections.Immutable;
using System.Text.Json;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.OpenIddict.Tokens;
using LumoAuth.Agents.Subjects;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>Introspection (RFC 7662) that knows agents.</summary>
    public static class Introspection
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } = [AttachAgentClaims.Descriptor];

        /// <summary>
        /// Reports inactive a token naming a suspended or revoked agent anywhere (subject, client, actor chain), or relying
        /// on withdrawn consent; a live token's response carries its actor chain and, for an agent, its budget status.
        /// </summary>
        public sealed class AttachAgentClaims : IOpenIddictServerHandler<HandleIntrospectionRequestContext>
        {
            private readonly TokenLiveness _liveness;
            private readonly IBudgetLedger _ledger;
            private readonly Agents.IAgentStore _agents;
            private readonly TimeProvider _time;

            /// <summary>Creates the handler.</summary>
            public AttachAgentClaims(TokenLiveness liveness, IBudgetLedger ledger, Agents.IAgentStore agents, TimeProvider time)
            {
                _liveness = liveness;
                _ledger = ledger;
                _agents = agents;
                _time = time;
            }

            /// <summary>The descriptor: after OpenIddict attaches the token's own claims.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleIntrospectionRequestContext>()
                    .UseScopedHandler<AttachAgentClaims>()
                    .SetOrder(OpenIddictServerHandlers.Introspection.AttachApplicationClaims.Descriptor.Order + 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(HandleIntrospectionRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (context.GenericTokenPrincipal is not { } principal || !TokenFactsReader.TryRead(principal, out var facts, out _))
                {
                    return;
                }

                if (await _liveness.CheckAsync(facts, context.CancellationToken) is not null)
                {
                    context.Reject(OpenIddictConstants.Errors.InvalidToken, "The token is no longer active.");
                    return;
                }

                if (facts.Chain.ToJsonString() is { } act)
                {
                    context.Claims[LumoAgentsOpenIddictConstants.ActClaim] = new OpenIddictParameter(JsonDocument.Parse(act).RootElement.Clone());
                }

                if (SubjectIdentifier.TryGetAgentId(facts.Subject, out var agentId) && await _agents.FindAsync(agentId, context.CancellationToken) is { } agent)
                {
                    var now = _time.GetUtcNow();
                    var budget = new Dictionary<string, object?>();
                    foreach (var (metric, limit) in BudgetGate.Limits(agent.Budget))
                    {
                        // The budget names of the admin API and usage reports: one set on the wire.
                        budget[Usage.BudgetWire.Name(metric)] = new Dictionary<string, object>
                        {
                            ["used"] = Usage.BudgetWire.ToWire(metric, await _ledger.ReadAsync(agent.Id, metric, now, context.CancellationToken)),
                            ["limit"] = Usage.BudgetWire.ToWire(metric, limit),
                            ["window"] = Usage.BudgetWire.Window(metric),
                            ["unit"] = Usage.BudgetWire.Unit(metric),
                        };
                    }

                    if (budget.Count > 0)
                    {
                        context.Claims["budget"] = new OpenIddictParameter(JsonSerializer.SerializeToElement(budget));
                    }
                }
            }
        }
    }
}
