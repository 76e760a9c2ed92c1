using LumoAuth.Agents.Issuance;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Says in every token response the pack issues which scope was granted (RFC 6749 section 5.1, RFC 8693 section 2.2.1:
/// required whenever it differs from what was asked): a request without <c>scope</c> gets the agent's default scopes,
/// narrowing may drop some, and the client learns it from the response instead of decoding the token.
/// </summary>
public sealed class AttachGrantedScope : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    /// <summary>The descriptor: before the audit record and the status code, so both see the final response.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<AttachGrantedScope>()
            .SetOrder(AuditTokenResponse.Descriptor.Order - 1_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <inheritdoc />
    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(context.Response.Error) && !string.IsNullOrEmpty(context.Response.AccessToken) &&
            context.Transaction.GetProperty<IssuanceDecision>(LumoAgentsOpenIddictConstants.DecisionProperty) is { Error: null } decision &&
            decision.Scopes.Count > 0)
        {
            context.Response.Scope = decision.Scopes.ToString();
        }

        return ValueTask.CompletedTask;
    }
}
