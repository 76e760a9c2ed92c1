using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.AspNetCore;

/// <summary>The one way the resource side writes a refusal: status, <c>Cache-Control: no-store</c>, and an OAuth error body.</summary>
internal static class OAuthErrorResponse
{
    /// <summary>Writes <c>{"error":…,"error_description":…}</c> plus <paramref name="extra"/> members with <paramref name="status"/>.</summary>
    public static async Task WriteAsync(HttpContext http, int status, string error, string description, JsonObject? extra = null)
    {
        var body = new JsonObject { ["error"] = error, ["error_description"] = description };
        foreach (var (name, value) in extra ?? [])
        {
            body[name] = value?.DeepClone();
        }

        http.Response.StatusCode = status;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentType = "application/json;charset=UTF-8";
        await http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    /// <summary>A value safe inside a quoted-string of an HTTP header (RFC 6750 §3 limits the characters to printable ASCII without quote and backslash).</summary>
    public static string Quote(string value) =>
        new(value.Select(c => c is '"' or '\\' ? '\'' : c is < ' ' or > '~' ? '?' : c).ToArray());
}
