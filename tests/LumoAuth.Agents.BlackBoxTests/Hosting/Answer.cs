using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.BlackBoxTests.Hosting;

/// <summary>One HTTP answer as a client sees it: status, every header, the body as text.</summary>
public sealed record Answer(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
{
    /// <summary>The media type of the body, lower case, without parameters; empty when there is none.</summary>
    public string MediaType => Header("Content-Type")?.Split(';')[0].Trim().ToLowerInvariant() ?? string.Empty;

    /// <summary>The first value of a header, or null.</summary>
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The body as a JSON object, or null when it is not one.</summary>
    public JsonObject? Json
    {
        get
        {
            try
            {
                return JsonNode.Parse(Body) as JsonObject;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>A short form for failure messages and the run's report.</summary>
    public string Summary
    {
        get
        {
            var body = Body.Length > 600 ? Body[..600] + $"… ({Body.Length} chars)" : Body;
            var location = Header("Location") is { } l ? $" Location: {l}" : string.Empty;
            return $"{Status} [{Header("Content-Type") ?? "no content type"}]{location} {body}";
        }
    }

    /// <summary>Reads a response in full.</summary>
    public static async Task<Answer> ReadAsync(HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = new List<KeyValuePair<string, string>>();
        Add(headers, response.Headers);
        Add(headers, response.Content.Headers);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, headers, body);
    }

    private static void Add(List<KeyValuePair<string, string>> headers, HttpHeaders source)
    {
        foreach (var header in source)
        {
            foreach (var value in header.Value)
            {
                headers.Add(KeyValuePair.Create(header.Key, value));
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => Summary;
}
