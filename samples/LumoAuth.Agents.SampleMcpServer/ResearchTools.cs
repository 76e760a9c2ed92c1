using System.ComponentModel;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.Client;
using ModelContextProtocol.Server;

namespace LumoAuth.Agents.SampleMcpServer;

/// <summary>The sample MCP server's tools. Each answer ends with the chain of agency the tool saw.</summary>
[McpServerToolType]
public sealed class ResearchTools
{
    /// <summary>The named HTTP client for the sample API.</summary>
    public const string ApiClient = "sample-api";

    private static readonly string[] Index =
    [
        "Agents with their own identity", "Why bearer tokens get replayed", "Delegation chains in RFC 8693", "MCP servers as OAuth resources",
    ];

    /// <summary>Searches the sample index; any caller holding <c>search:web</c>.</summary>
    [McpServerTool(Name = "search_web"), Description("Searches the web for a query."), RequireAgent(Capabilities = "search:web")]
    public static string SearchWeb([Description("What to search for.")] string query, ClaimsPrincipal user)
    {
        var hits = Index.Where(t => t.Contains(query, StringComparison.OrdinalIgnoreCase)).ToArray();
        return $"{hits.Length} result(s) for '{query}': {string.Join("; ", hits)}. Caller: {user.GetAgentCaller()!.Describe()}";
    }

    /// <summary>
    /// Reads an article from the sample API for a user: the user's own app, or an agent acting for them (an agent's own
    /// token has no user to read for, and is not shown the tool). The MCP server exchanges the caller's token for one
    /// meant for the API, with itself as the actor: the API sees the whole chain.
    /// </summary>
    [McpServerTool(Name = "read_article"), Description("Reads an article for the user."), RequireAgent(Capabilities = "read:articles", ForUser = true)]
    public static async Task<string> ReadArticleAsync([Description("The article's number.")] int id, ClaimsPrincipal user, IHttpContextAccessor http,
        AgentTokenClient tokens, IHttpClientFactory clients, CancellationToken cancellationToken)
    {
        // The token this request came with, to exchange: never forwarded as it is (MCP forbids token passthrough).
        var authorization = http.HttpContext?.Request.Headers.Authorization.ToString() ?? string.Empty;
        var incoming = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : throw new InvalidOperationException("No bearer token on the request.");
        var downstream = await tokens.ExchangeForDownstreamAsync(incoming, "acme-corp-api", "read:articles", cancellationToken);
        using var client = clients.CreateClient(ApiClient);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("articles", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", downstream);
        using var response = await client.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return $"The articles API refused: {(int)response.StatusCode}.";
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var article = body.RootElement.GetProperty("articles").EnumerateArray().FirstOrDefault(a => a.GetProperty("id").GetInt32() == id);
        var title = article.ValueKind == JsonValueKind.Object ? article.GetProperty("title").GetString() : "(no such article)";
        var apiSaw = body.RootElement.GetProperty("caller").GetProperty("in_words").GetString();
        return $"Article {id}: {title}. The articles API saw: {apiSaw}. Caller here: {user.GetAgentCaller()!.Describe()}";
    }

    /// <summary>Runs code; needs <c>tool:execute_code</c>, which Research Bot lacks.</summary>
    [McpServerTool(Name = "run_code"), Description("Runs a snippet of code in a sandbox."), RequireAgent(Capabilities = "tool:execute_code")]
    public static string RunCode([Description("The code.")] string code) => $"ran {code.Length} characters";
}
