using System.Globalization;
using System.Security.Claims;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.AspNetCore.Authorization;

/// <summary>
/// Who is calling, read from a validated token: the subject (whose authority is used), the current actor (the agent
/// making this call) and the whole actor chain, current actor first. For Alice's token used by Search Tool on
/// behalf of Research Bot: subject <c>user:alice</c>, current actor <c>agent:search-tool</c>, chain
/// [search-tool, research-bot]; in words "Search Tool, used by Research Bot, acting for Alice".
/// </summary>
public sealed class AgentCaller
{
    private AgentCaller(string subject, ActorChain chain, IReadOnlySet<string> scopes, string? clientId)
    {
        Subject = subject;
        Chain = chain;
        Scopes = scopes;
        ClientId = clientId;
    }

    /// <summary>The token's subject, e.g. <c>user:alice</c> or <c>agent:research-bot</c>.</summary>
    public string Subject { get; }

    /// <summary>The actors, current first (empty when the subject calls for itself).</summary>
    public ActorChain Chain { get; }

    /// <summary>The scopes (capabilities) the token carries.</summary>
    public IReadOnlySet<string> Scopes { get; }

    /// <summary>The OAuth client the token was issued to, when stated.</summary>
    public string? ClientId { get; }

    /// <summary>The party making this call: the current actor, or the subject itself when no one acts for it.</summary>
    public Actor CurrentActor => Chain.Current ?? new Actor(Subject, ClientId);

    /// <summary>The agent making this call (the current actor's agent id), or <see langword="null"/> when it is not an agent.</summary>
    public string? AgentId => SubjectIdentifier.TryGetAgentId(CurrentActor.Subject, out var id) ? id : null;

    /// <summary>True when an agent acts for a user: the subject is a user and at least one actor is in the chain.</summary>
    public bool ActsForUser => SubjectIdentifier.IsUser(Subject) && Chain.Depth > 0;

    /// <summary>
    /// The call in words, current actor first: "Search Tool, used by Research Bot, acting for Alice". Names come from
    /// <paramref name="nameOf"/> (subject identifier to display name) or, by default, from the identifiers themselves.
    /// </summary>
    public string Describe(Func<string, string?>? nameOf = null) => Chain.Describe(Subject, nameOf ?? DefaultName);

    /// <inheritdoc />
    public override string ToString() => Describe();

    /// <summary>
    /// The <see cref="ClaimsIdentity.Label"/> of identities made from the token server's tokens (by the bearer handler
    /// and the AAuth middleware). A caller is read only from such an identity, so another scheme's token with look-alike
    /// claims (<c>sub</c>, <c>act</c>, <c>scope</c>) never passes for one of ours.
    /// </summary>
    public const string IdentityLabel = "LumoAuth.Agents";

    /// <summary>
    /// A readable name from a subject identifier: <c>agent:research-bot</c> → "Research Bot", <c>user:alice</c> → "Alice",
    /// <c>agent:research-mcp</c> → "Research MCP" (a few well-known abbreviations are written in capitals).
    /// </summary>
    public static string DefaultName(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var colon = subject.IndexOf(':', StringComparison.Ordinal);
        var id = colon >= 0 && (SubjectIdentifier.IsUser(subject) || SubjectIdentifier.TryGetAgentId(subject, out _)) ? subject[(colon + 1)..] : subject;
        var words = id.Split(['-', '_', '.'], StringSplitOptions.RemoveEmptyEntries)
            .Select(w => Abbreviations.Contains(w) ? w.ToUpperInvariant() : char.ToUpper(w[0], CultureInfo.InvariantCulture) + w[1..]);
        var name = string.Join(' ', words);
        return name.Length == 0 ? subject : name;
    }

    private static readonly HashSet<string> Abbreviations = new(["ai", "api", "llm", "mcp", "sdk"], StringComparer.Ordinal);

    /// <summary>Creates a caller from a token's facts.</summary>
    public static AgentCaller From(string subject, ActorChain chain, IEnumerable<string> scopes, string? clientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(scopes);
        return new AgentCaller(subject, chain, scopes.ToHashSet(StringComparer.Ordinal), clientId);
    }

    /// <summary>
    /// Reads a caller from the principal's identity labelled <see cref="IdentityLabel"/> (<c>sub</c>, <c>act</c> as JSON, <c>scope</c>,
    /// <c>client_id</c>; an AAuth principal's <c>agent</c> stands for its signing agent when there is no <c>act</c>),
    /// or <see langword="null"/> when it has no subject or a malformed chain.
    /// </summary>
    public static AgentCaller? FromPrincipal(ClaimsPrincipal? principal)
    {
        // One identity only, and one of ours: claims are never mixed across the identities of a merged principal.
        var identity = principal?.Identities.FirstOrDefault(i => i.IsAuthenticated && i.Label == IdentityLabel);
        if (identity?.FindFirst("sub")?.Value is not { Length: > 0 } subject)
        {
            return null;
        }

        if (!ActorChain.TryParse(identity.FindFirst("act")?.Value, out var chain, out _))
        {
            return null;
        }

        var signer = identity.FindFirst("agent")?.Value;
        if (chain.Depth == 0 && signer is not null && signer != subject)
        {
            chain = chain.Push(new Actor(signer));
        }

        var scopes = identity.FindAll("scope").SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return From(subject, chain, scopes, identity.FindFirst("client_id")?.Value);
    }
}

/// <summary>Reads the <see cref="AgentCaller"/> of a request.</summary>
public static class AgentCallerExtensions
{
    /// <summary>The caller of this request, or <see langword="null"/> when it is not authenticated by a token from the token server.</summary>
    public static AgentCaller? GetAgentCaller(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.TryGetValue(typeof(AgentCaller), out var cached) && cached is CachedCaller entry && ReferenceEquals(entry.Principal, http.User))
        {
            return entry.Caller;
        }

        var caller = AgentCaller.FromPrincipal(http.User);
        if (caller is not null)
        {
            Remember(http, http.User, caller);
        }

        return caller;
    }

    /// <summary>Keeps the caller read from <paramref name="principal"/> for the rest of the request.</summary>
    internal static void Remember(HttpContext http, ClaimsPrincipal principal, AgentCaller caller) =>
        http.Items[typeof(AgentCaller)] = new CachedCaller(principal, caller);

    private sealed record CachedCaller(ClaimsPrincipal Principal, AgentCaller Caller);

    /// <summary>The caller of this principal, or <see langword="null"/>.</summary>
    public static AgentCaller? GetAgentCaller(this ClaimsPrincipal principal) => AgentCaller.FromPrincipal(principal);
}
