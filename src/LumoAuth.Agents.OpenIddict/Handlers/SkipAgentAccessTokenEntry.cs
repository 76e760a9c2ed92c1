using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Issuance;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Issues agents' access tokens without an OpenIddict token entry unless <see cref="LumoAgentsOptions.StoreAgentAccessTokens"/>
/// is on: the token is a signed, self-contained JWT, and its liveness is judged on every use by agent status and consent.
/// Only access tokens the agent policy granted are concerned; codes, refresh tokens and the host's own clients' tokens
/// keep their entries.
/// </summary>
public sealed class SkipAgentAccessTokenEntry : IOpenIddictServerHandler<GenerateTokenContext>
{
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;

    /// <summary>Creates the handler.</summary>
    public SkipAgentAccessTokenEntry(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

    /// <summary>The descriptor: just before OpenIddict creates the entry.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<SkipAgentAccessTokenEntry>()
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <inheritdoc />
    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_options.CurrentValue.StoreAgentAccessTokens && context.TokenType == TokenTypeIdentifiers.AccessToken &&
            context.Transaction.GetProperty<IssuanceDecision>(LumoAgentsOpenIddictConstants.DecisionProperty) is { IsGranted: true })
        {
            context.CreateTokenEntry = false;
            context.PersistTokenPayload = false;
        }

        return ValueTask.CompletedTask;
    }
}
