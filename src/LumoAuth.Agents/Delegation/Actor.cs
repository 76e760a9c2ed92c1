namespace LumoAuth.Agents.Delegation;

/// <summary>One party in an actor chain (an <c>act</c> or <c>may_act</c> claim, RFC 8693 §4.1 and §4.4).</summary>
/// <param name="Subject">The actor's subject identifier, e.g. <c>agent:research-bot</c>.</param>
/// <param name="ClientId">The actor's OAuth client, when known.</param>
/// <param name="Issuer">The issuer that vouches for <paramref name="Subject"/>, when stated.</param>
public sealed record Actor(string Subject, string? ClientId = null, string? Issuer = null);
