using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.HttpSignatures.Keys;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// An AAuth request whose body was read, whose signature verified and whose agent is registered: what the handler of
/// its <see cref="Type"/> decides on. Built only by <see cref="AAuthRequestReader"/>.
/// </summary>
internal sealed record AAuthRequest
{
    /// <summary>The <c>request_type</c>: one of agent, auth, refresh, exchange.</summary>
    public required string Type { get; init; }

    /// <summary>The body's parameters, each named once.</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>The agent the signature proves.</summary>
    public required AgentProfile Agent { get; init; }

    /// <summary>The key that signed the request, which every token issued for it is bound to.</summary>
    public required HttpSignatureKey Key { get; init; }

    /// <summary>
    /// The agent as resources know it: the subject of the agent token the request conveyed (a provider's subject for a
    /// federated agent), else the agent's own subject.
    /// </summary>
    public required string AgentSubject { get; init; }

    /// <summary>This server's issuer as the request sees it.</summary>
    public required string Issuer { get; init; }

    /// <summary>The AAuth options, read once for the whole request.</summary>
    public required AAuthOptions Options { get; init; }

    /// <summary>The RFC 7638 thumbprint of <see cref="Key"/>.</summary>
    public string KeyThumbprint => Key.Thumbprint!;

    /// <summary>The scopes the request names in <c>scope</c>, or null when it names none (all the grant allows).</summary>
    public IReadOnlyList<string>? RequestedScopes =>
        Parameters.TryGetValue("scope", out var scope) ? scope.Split(' ', StringSplitOptions.RemoveEmptyEntries) : null;

    /// <summary>The body parameter <paramref name="name"/>, or null.</summary>
    public string? Parameter(string name) => Parameters.GetValueOrDefault(name);
}
