namespace LumoAuth.Agents.SampleMcpServer;

/// <summary>
/// The sample MCP server (streamable HTTP at <c>/mcp</c>), protected by the token server like any resource: its tools
/// declare the capability they need, the tool list shows each caller only what it may call, tool calls spend the calling
/// agent's budget, and <c>read_article</c> reaches the sample API by exchanging the caller's token with itself as the
/// actor (never by forwarding it), so the API sees the whole chain.
/// </summary>
public static class Program
{
    /// <summary>Runs the MCP server (on <c>http://127.0.0.1:5082</c> by default).</summary>
    public static async Task Main(string[] args) => await Create(args).RunAsync();

    /// <summary>Builds the server; <paramref name="configure"/> lets a test adjust the builder first.</summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = Defaults });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--host"] = "Mcp:Authority", ["--api"] = "Mcp:Api" });
        configure?.Invoke(builder);
        var settings = McpSettings.From(builder.Configuration.GetSection("Mcp"), builder.Configuration["Urls"]);

        builder.Services.AddSingleton(settings);
        builder.Services.AddLumoAgentsResourceServer(options =>
            {
                options.Issuer = settings.Authority;
                options.Resource = settings.Resource;
                options.ResourceName = "Research MCP server";
                foreach (var scope in (string[])["search:web", "read:articles", "tool:execute_code"])
                {
                    options.ScopesSupported.Add(scope);
                }
            })
            .AddApiCallMetering(options =>
            {
                options.UsageEndpoint = settings.Authority.AbsoluteUri + "t/acme-corp/api/v1/agents/{agentId}/usage";
                options.TokenEndpoint = new Uri(settings.Authority, "connect/token");
                options.ReporterClientId = settings.ReporterClientId;
                options.ReporterClientSecret = settings.ReporterClientSecret;
            });

        // The server's own agent identity: what it exchanges callers' tokens with.
        builder.Services.AddLumoAgentsClient(options =>
        {
            options.TokenEndpoint = new Uri(settings.Authority, "connect/token");
            options.ClientId = settings.ClientId;
            options.ClientSecret = settings.ClientSecret;
        });
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddHttpClient(ResearchTools.ApiClient, client => client.BaseAddress = settings.Api);
        builder.Services.AddMcpServer().WithHttpTransport().WithTools<ResearchTools>().AddLumoAgentsToolPolicies();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        app.MapLumoAgentsProtectedResourceMetadata();
        app.MapLumoAgentsMcp("/mcp");
        return app;
    }

    /// <summary>The settings for the sample host and API on their default addresses.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Urls"] = "http://127.0.0.1:5082",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Mcp:Authority"] = "http://127.0.0.1:5080/",
        ["Mcp:Api"] = "http://127.0.0.1:5081/",
        ["Mcp:ClientId"] = "research-mcp",
        ["Mcp:ClientSecret"] = "research-mcp-local-trial-secret-0001", // local trials only, like every sample secret
        ["Mcp:ReporterClientId"] = "acme-corp-api",
        ["Mcp:ReporterClientSecret"] = "acme-corp-api-local-trial-secret-0001",
    };
}
