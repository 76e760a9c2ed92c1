namespace LumoAuth.Agents.Resources;

/// <summary>
/// A protected resource (an API or an MCP server) that clients name with RFC 8707's <c>resource</c> parameter. Its
/// <see cref="Identifier"/> is written as it is into the token's <c>aud</c>. An agent reaches it when it is one of the
/// agent's allowed tools; another client when OpenIddict grants it the <c>rsrc:</c> permission for it.
/// </summary>
public sealed class ProtectedResource
{
    /// <summary>
    /// The resource's identifier in canonical form (<c>new Uri(identifier).AbsoluteUri</c>): an absolute HTTPS URI (HTTP on
    /// loopback for local trials) without query or fragment, e.g. <c>https://mcp.example.com/mcp</c>. Clients send
    /// exactly this string and resources check exactly this string in <c>aud</c>.
    /// </summary>
    public string Identifier { get; set; } = string.Empty;

    /// <summary>
    /// The registered agent that serves this resource (an MCP server with an agent identity of its own), or
    /// <see langword="null"/>. A token whose <c>aud</c> is this resource then counts as meant for that agent when it
    /// exchanges the token as the actor (RFC 8693), so it can call further APIs for its caller instead of passing the token
    /// through, and the chain of agency grows by one hop.
    /// </summary>
    public string? Agent { get; set; }

    /// <summary>A human-readable name, for consent screens and the audit trail.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The scopes the resource accepts. A request that names only resources with scopes listed, and asks for a scope
    /// none of them accepts, is refused with <c>invalid_scope</c>. Empty: the resource accepts any scope.
    /// </summary>
    public IList<string> Scopes { get; } = [];

    /// <summary>Whether the resource accepts <paramref name="scope"/>.</summary>
    public bool Accepts(string scope) => Scopes.Count == 0 || Scopes.Contains(scope, StringComparer.Ordinal);
}
