using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.AspNetCore.Bearer;

/// <summary>
/// RFC 9728 protected resource metadata: where a resource's document lives and what it says, built from the same
/// <see cref="LumoAgentsBearerOptions"/> that validate its tokens, so the two cannot disagree.
/// </summary>
internal static class ProtectedResourceMetadata
{
    /// <summary>The well-known segment of RFC 9728 §3.</summary>
    public const string WellKnownSegment = "/.well-known/oauth-protected-resource";

    /// <summary>
    /// The document's address (RFC 9728 §3.1): the well-known segment inserted between the resource's host and its
    /// path, e.g. <c>https://mcp.example.com/.well-known/oauth-protected-resource/mcp</c>.
    /// </summary>
    public static Uri AddressOf(Uri resource) => new(resource.GetLeftPart(UriPartial.Authority) + WellKnownSegment + PathOf(resource));

    /// <summary>The resource's path without a trailing slash, or empty for a resource at the root.</summary>
    public static string PathOf(Uri resource) => resource.AbsolutePath.TrimEnd('/');

    /// <summary>Why <paramref name="resource"/> cannot be a resource identifier (RFC 8707 §2), or <see langword="null"/>.</summary>
    public static string? Problem(Uri resource) => resource switch
    {
        { IsAbsoluteUri: false } => "must be an absolute URI.",
        _ when !string.IsNullOrEmpty(resource.Fragment) => "must not have a fragment (RFC 8707 §2).",
        _ when !string.IsNullOrEmpty(resource.Query) => "must not have a query: clients compare identifiers as strings, and a query is easily written two ways.",
        _ when resource.Scheme != Uri.UriSchemeHttps && !(resource.Scheme == Uri.UriSchemeHttp && resource.IsLoopback) => "must be HTTPS (plain HTTP is allowed on loopback for local trials).",
        _ => null,
    };

    /// <summary>The metadata document (RFC 9728 §2): the resource, its token server, how tokens are sent, its scopes.</summary>
    public static JsonObject Document(LumoAgentsBearerOptions options)
    {
        var document = new JsonObject
        {
            ["resource"] = options.Resource!.OriginalString,
            ["authorization_servers"] = new JsonArray(options.Issuer!.AbsoluteUri),
            ["bearer_methods_supported"] = new JsonArray("header"),
        };
        if (options.ScopesSupported.Count > 0)
        {
            document["scopes_supported"] = new JsonArray([.. options.ScopesSupported.Select(s => (JsonNode)s)]);
        }

        if (options.ResourceName is { } name)
        {
            document["resource_name"] = name;
        }

        if (options.ResourceDocumentation is { } documentation)
        {
            document["resource_documentation"] = documentation.AbsoluteUri;
        }

        return document;
    }

    /// <summary>Answers a metadata request with the document, cacheable for five minutes.</summary>
    public static Task WriteAsync(HttpContext http, LumoAgentsBearerOptions options)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(Document(options).ToJsonString(), http.RequestAborted);
    }
}
