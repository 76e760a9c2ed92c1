using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Tells whether a token request belongs to the agent pack: every token exchange, and client credentials of a
/// registered agent. OpenIddict's built-in scope, audience and authorized-party checks are skipped for these
/// because the agent policy makes them, with its own codes, against capabilities and allowed tools.
/// </summary>
public sealed class SkipForAgentRequests : IOpenIddictServerHandlerFilter<ValidateTokenRequestContext>
{
    private readonly IAgentStore _agents;

    /// <summary>Creates the filter.</summary>
    public SkipForAgentRequests(IAgentStore agents) => _agents = agents;

    /// <inheritdoc />
    public async ValueTask<bool> IsActiveAsync(ValidateTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !await IsAgentRequestAsync(context.Request, _agents, context.CancellationToken);
    }

    internal static async ValueTask<bool> IsAgentRequestAsync(OpenIddictRequest request, IAgentStore agents, CancellationToken cancellationToken)
    {
        if (request.IsTokenExchangeGrantType())
        {
            return true;
        }

        return request.IsClientCredentialsGrantType() && request.ClientId is { Length: > 0 } clientId &&
               await agents.FindAsync(clientId, cancellationToken) is not null;
    }
}

/// <summary>
/// Keeps OpenIddict's own client identification (<c>ValidateClientId</c>) on every request except the one anonymous
/// request the pack documents: a token exchange that names no client, where the actor token (delegation) or the
/// platform token (workload login) proves the agent. The pack never turns on <c>AcceptAnonymousClients</c>, so
/// introspection, revocation and every other grant keep requiring an identified client.
/// </summary>
public sealed class RequireClientUnlessAnonymousExchange : IOpenIddictServerHandlerFilter<ProcessAuthenticationContext>
{
    /// <inheritdoc />
    public ValueTask<bool> IsActiveAsync(ProcessAuthenticationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(!IsAnonymousExchange(context));
    }

    internal static bool IsAnonymousExchange(ProcessAuthenticationContext context) =>
        context.EndpointType == OpenIddictServerEndpointType.Token &&
        context.Request is { } request && request.IsTokenExchangeGrantType() &&
        string.IsNullOrEmpty(context.ClientId) && string.IsNullOrEmpty(request.ClientAssertion);
}

/// <summary>RFC 6749 section 3.1: request parameters must not be included more than once.</summary>
internal static class RequestParameters
{
    /// <summary>The first of <paramref name="singleValued"/> that <paramref name="request"/> repeats, or null.</summary>
    public static string? FirstRepeated(OpenIddictRequest request, IEnumerable<string> singleValued) =>
        singleValued.FirstOrDefault(name => request[name] is { Count: > 1 });
}
