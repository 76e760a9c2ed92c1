using System.Text.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.Client;

/// <summary>Reads a token server's answer the same way for every request the client makes: JSON body, OAuth error members.</summary>
internal static class TokenServerResponse
{
    private const int MaxDescription = 500;

    /// <summary>The body as a JSON object (null when it is not one) and as text.</summary>
    public static async Task<(JsonObject? Json, string Text)> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return (JsonNode.Parse(text) as JsonObject, text);
        }
        catch (JsonException)
        {
            return (null, text);
        }
    }

    /// <summary>A string member, or null.</summary>
    public static string? Text(JsonObject? json, string name) => json?[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The refusal's description: the server's <c>error_description</c>, or a bounded note when it sent none.</summary>
    public static string? Description(JsonObject? json, string text, HttpResponseMessage response)
    {
        var description = Text(json, "error_description")
            ?? (json is null ? $"The token server answered {(int)response.StatusCode} without an OAuth error{(text.Length == 0 ? "." : ": " + text)}" : null);
        return description?.Length > MaxDescription ? description[..MaxDescription] + "…" : description;
    }
}
