using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Delegation;

namespace LumoAuth.Agents.SampleAgent;

/// <summary>Reads a JWT's payload for display (no validation: the API validates; this only shows what a token says).</summary>
internal static class Jwt
{
    public static JsonObject Payload(string token)
    {
        var part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part)))!.AsObject();
    }

    /// <summary>The claims worth showing, indented.</summary>
    public static string Show(string token)
    {
        var payload = Payload(token);
        var shown = new JsonObject();
        foreach (var name in new[] { "iss", "sub", "act", "client_id", "scope", "aud", "workload", "cnf", "approval_id", "authorization_details", "exp" })
        {
            if (payload[name] is { } value)
            {
                shown[name] = value.DeepClone();
            }
        }

        return shown.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>The token's chain in words: "Search Tool, used by Research Bot, acting for Alice".</summary>
    public static string InWords(string token, Func<string, string?> nameOf)
    {
        var payload = Payload(token);
        if (!ActorChain.TryParse(payload["act"]?.ToJsonString(), out var chain, out var error))
        {
            return "(malformed act claim: " + error + ")";
        }

        return chain.Describe(payload["sub"]!.GetValue<string>(), nameOf);
    }
}
