using System.Text.Json;
using LumoAuth.Agents.AspNetCore;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Bearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Mcp;

/// <summary>
/// The MCP authorization spec's scope challenge: a <c>tools/call</c> for a tool whose capabilities the caller's token
/// lacks is answered at the HTTP level, 403 with <c>WWW-Authenticate: Bearer error="insufficient_scope", scope="…",
/// resource_metadata="…"</c> (RFC 6750 §3.1, RFC 9728 §5.1), so that an MCP client can ask the user for the missing
/// scope and retry. A failure a new token cannot mend (not acting for a user, a chain too deep, an actor not allowed)
/// is left to the SDK's authorization filter, which refuses the call with a JSON-RPC error.
/// </summary>
internal static class McpStepUp
{
    /// <summary>
    /// The largest JSON-RPC message the endpoint reads (1 MB): a larger one is refused with 413 before the SDK reads it,
    /// so every message within the limit is inspected here and none can slip past the scope challenge by its size.
    /// </summary>
    public const int MaxMessageBytes = 1024 * 1024;

    /// <summary>Checks the request, then runs the MCP endpoint unless it answered.</summary>
    public static async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        if (HttpMethods.IsPost(http.Request.Method))
        {
            if (http.Request.ContentLength is > MaxMessageBytes)
            {
                http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await http.Response.WriteAsJsonAsync(new Dictionary<string, object?>
                {
                    ["jsonrpc"] = "2.0", ["id"] = null,
                    ["error"] = new Dictionary<string, object> { ["code"] = -32600, ["message"] = $"The message is larger than {MaxMessageBytes} bytes." },
                }, http.RequestAborted);
                return;
            }

            // A body without a length (chunked) is cut at the same size by the server as it is read.
            if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxMessageBytes;
            }
        }

        if (HttpMethods.IsPost(http.Request.Method) && http.GetAgentCaller() is { } caller && await CalledToolAsync(http) is { } tool &&
            McpToolRequirements.Find(http.RequestServices, tool) is { } declared &&
            McpToolRequirements.Capabilities(declared).Where(c => !caller.Scopes.Contains(c)).ToList() is { Count: > 0 } missing)
        {
            var description = $"The tool '{ErrorTextOf(tool)}' needs the {(missing.Count == 1 ? "scope" : "scopes")} {string.Join(", ", missing.Select(m => $"'{m}'"))}, which the access token does not carry.";
            var needed = string.Join(' ', McpToolRequirements.Capabilities(declared));
            await ResourceAudit.RecordRefusalAsync(http, "insufficient_scope", LumoAuth.Agents.Errors.AgentErrorCodes.InsufficientScope, description, caller);
            await AgentForbiddenResponse.WriteAsync(http, description, needed, ResourceOf(http));
            return;
        }

        await next(http);
    }

    /// <summary>The tool a <c>tools/call</c> message names, or <see langword="null"/> for any other request; the body is left for the SDK.</summary>
    private static async Task<string?> CalledToolAsync(HttpContext http)
    {
        if (!(http.Request.ContentType ?? string.Empty).StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        http.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: MaxMessageBytes);
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.Object => ToolOf(document.RootElement),
                JsonValueKind.Array => document.RootElement.EnumerateArray().Select(ToolOf).FirstOrDefault(t => t is not null),
                _ => null,
            };
        }
        catch (Exception exception) when (exception is JsonException or IOException or InvalidOperationException)
        {
            return null; // malformed or oversized: the SDK answers it with its own error
        }
        finally
        {
            http.Request.Body.Position = 0;
        }
    }

    private static string? ToolOf(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object &&
        message.TryGetProperty("method", out var method) && method.ValueKind == JsonValueKind.String && method.ValueEquals("tools/call") &&
        message.TryGetProperty("params", out var parameters) && parameters.ValueKind == JsonValueKind.Object &&
        parameters.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
            ? name.GetString()
            : null;

    private static Uri? ResourceOf(HttpContext http) =>
        http.User.Identity?.AuthenticationType is { } scheme ? http.RequestServices.GetRequiredService<IOptionsMonitor<LumoAgentsBearerOptions>>().Get(scheme).Resource : null;

    private static string ErrorTextOf(string tool) => LumoAuth.Agents.Errors.ErrorText.Echo(tool);
}
