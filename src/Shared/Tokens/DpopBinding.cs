using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.Shared;

/// <summary>
/// What the token server and the resource server read alike about DPoP (RFC 9449): the key a token is bound to, and the
/// request URI a proof's <c>htu</c> is compared with.
/// </summary>
internal static class DpopBinding
{
    /// <summary>The JWK thumbprint a <c>cnf</c> claim binds the token to (<c>cnf.jkt</c>, §6.1), or null.</summary>
    public static string? Thumbprint(JsonElement cnf) =>
        cnf.ValueKind == JsonValueKind.Object && cnf.TryGetProperty("jkt", out var jkt) && jkt.ValueKind == JsonValueKind.String ? jkt.GetString() : null;

    /// <summary>The request's URI as the client addressed it, without query (§4.3 compares <c>htu</c> without query and fragment).</summary>
    public static Uri Target(HttpRequest request) => new($"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}");
}
