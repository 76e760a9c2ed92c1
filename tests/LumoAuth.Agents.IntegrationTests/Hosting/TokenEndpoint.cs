using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>A token endpoint response, read as JSON.</summary>
public sealed record TokenResponse(HttpStatusCode Status, JsonObject Body)
{
    public string? this[string name] => Body[name]?.GetValue<string>();

    public string AccessToken => this["access_token"] ?? throw new AssertionException($"No access token: {Body.ToJsonString()}");

    public override string ToString() => $"{(int)Status} {Body.ToJsonString()}";
}

/// <summary>Posts form requests to the token endpoint; parameters may repeat, as an attacker's would.</summary>
public static class TokenEndpoint
{
    public const string DefaultPath = "/connect/token";
    public const string SeedPath = "/t/acme-corp/api/v1/oauth/token";
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    public static async Task<TokenResponse> PostAsync(HttpClient client, IEnumerable<(string Name, string Value)> parameters, string path = DefaultPath)
    {
        using var content = new FormUrlEncodedContent(parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)));
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        var body = string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text)!.AsObject();
        return new TokenResponse(response.StatusCode, body);
    }

    public static Task<TokenResponse> ClientCredentialsAsync(HttpClient client, string clientId, string secret, string? scope = null, string? audience = null, string path = DefaultPath)
    {
        var parameters = new List<(string, string)> { ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret) };
        if (scope is not null)
        {
            parameters.Add(("scope", scope));
        }

        if (audience is not null)
        {
            parameters.Add(("audience", audience));
        }

        return PostAsync(client, parameters, path);
    }

    /// <summary>The seed's pattern 3 request: subject and actor tokens, no client authentication.</summary>
    public static List<(string Name, string Value)> Exchange(string subjectToken, string? actorToken, string? scope = null, string? audience = null)
    {
        var parameters = new List<(string, string)>
        {
            ("grant_type", TokenExchange),
            ("subject_token", subjectToken),
            ("subject_token_type", AccessTokenType),
        };
        if (actorToken is not null)
        {
            parameters.Add(("actor_token", actorToken));
            parameters.Add(("actor_token_type", AccessTokenType));
        }

        if (scope is not null)
        {
            parameters.Add(("scope", scope));
        }

        if (audience is not null)
        {
            parameters.Add(("audience", audience));
        }

        return parameters;
    }

    public static JsonObject Payload(string jwt)
    {
        var part = jwt.Split('.')[1];
        var json = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(part));
        return JsonNode.Parse(json)!.AsObject();
    }

    public static JsonObject Header(string jwt)
    {
        var json = System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(jwt.Split('.')[0]));
        return JsonNode.Parse(json)!.AsObject();
    }

    public static string Compact(JsonNode? node) => node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "null";
}
