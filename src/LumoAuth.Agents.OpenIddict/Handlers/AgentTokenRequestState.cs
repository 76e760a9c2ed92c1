using System.Diagnostics;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Workload;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// What the pack learns about one token request as OpenIddict's events pass it along, kept once in the request's
/// transaction: the policy's decision above all, read by the response, token generation and audit handlers.
/// </summary>
internal sealed class AgentTokenRequestState
{
    private static readonly string Key = typeof(AgentTokenRequestState).FullName!;

    /// <summary>The policy's decision, or the refusal made before the policy ran; null when the request is not the pack's.</summary>
    public IssuanceDecision? Decision { get; set; }

    /// <summary>True when no client authenticated: the actor token or the platform token alone proved the agent.</summary>
    public bool ClientUnauthenticated { get; set; }

    /// <summary>When a refusal for a spent budget or an unreachable database may be retried (<c>Retry-After</c>).</summary>
    public DateTimeOffset? RetryAt { get; set; }

    /// <summary>The verified workload of a workload login, from its platform token.</summary>
    public WorkloadIdentity? Workload { get; set; }

    /// <summary>When the request reached the pack (<see cref="Stopwatch.GetTimestamp"/>), for the duration metric.</summary>
    public long? StartedAt { get; set; }

    /// <summary>The trace activity of the request, ended with its response.</summary>
    public Activity? Activity { get; set; }

    /// <summary>The thumbprint of the key a DPoP proof showed for this request: the access token is bound to it.</summary>
    public string? DpopThumbprint { get; set; }

    /// <summary>The nonce to hand out in <c>DPoP-Nonce</c> with the response, when nonces are required.</summary>
    public string? DpopNonce { get; set; }

    /// <summary>Whether the requesting client is a registered agent, once looked up: the filters ask more than once.</summary>
    public (string ClientId, bool IsAgent)? AgentClient { get; set; }

    /// <summary>The request's state, created on first use.</summary>
    public static AgentTokenRequestState Of(OpenIddictServerTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Properties.TryGetValue(Key, out var value) && value is AgentTokenRequestState state)
        {
            return state;
        }

        state = new AgentTokenRequestState();
        transaction.Properties[Key] = state;
        return state;
    }

    /// <summary>The request's state if the pack has kept any.</summary>
    public static AgentTokenRequestState? Find(OpenIddictServerTransaction transaction) =>
        transaction.Properties.TryGetValue(Key, out var value) ? value as AgentTokenRequestState : null;
}

/// <summary>The typed way to the pack's decision of a request: never a string-keyed property read with a cast.</summary>
internal static class AgentTokenRequestStateExtensions
{
    /// <summary>The decision made for this request, or null when the pack made none.</summary>
    public static IssuanceDecision? GetAgentDecision(this OpenIddictServerTransaction transaction) =>
        AgentTokenRequestState.Find(transaction)?.Decision;

    /// <summary>Records the decision made for this request; the response, token and audit handlers read it.</summary>
    public static void SetAgentDecision(this OpenIddictServerTransaction transaction, IssuanceDecision decision) =>
        AgentTokenRequestState.Of(transaction).Decision = decision;

    /// <summary>The pack's state of this request, created on first use.</summary>
    public static AgentTokenRequestState GetAgentState(this OpenIddictServerTransaction transaction) =>
        AgentTokenRequestState.Of(transaction);
}
