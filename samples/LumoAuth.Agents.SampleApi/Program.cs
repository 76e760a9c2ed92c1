using LumoAuth.Agents.AspNetCore.Authorization;

namespace LumoAuth.Agents.SampleApi;

/// <summary>
/// The sample API: articles for any agent with <c>read:articles</c>, and web search for agents acting for a user
/// with <c>search:web</c>. It shares nothing with the token server but its address: keys come from the server's
/// JWKS, and agents' API calls are counted in the server's ledger through its usage endpoint.
/// </summary>
public static class Program
{
    /// <summary>Runs the API (on <c>http://127.0.0.1:5081</c> by default).</summary>
    public static async Task Main(string[] args) => await Create(args).RunAsync();

    /// <summary>Builds the API; <paramref name="configure"/> lets a test adjust the builder first.</summary>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);

        // The defaults below sit under every other source: environment variables (Api__Issuer=...) and arguments
        // (--Api:Issuer=...) override them.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = Defaults });

        // --host URL: the token server's address, as the sample agent takes it.
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string> { ["--host"] = "Api:Authority" });
        configure?.Invoke(builder);
        var api = builder.Configuration.GetSection("Api");
        var server = TokenServer.From(api);

        builder.Services.AddLumoAgentsResourceServer(options =>
            {
                options.Issuer = server.Issuer;
                options.Audiences.Add(api["Audience"] ?? "acme-corp-api");
                options.RequireSingleAudience = api.GetValue("RequireSingleAudience", false);
            })
            .AddApiCallMetering(options =>
            {
                options.UsageEndpoint = server.UsageEndpoint;
                options.TokenEndpoint = server.TokenEndpoint;
                options.ReporterClientId = api["ClientId"];
                options.ReporterClientSecret = api["ClientSecret"];
            })
            .UseAgentTools(api.GetSection("AllowedTools").GetChildren()
                .ToDictionary(s => s.Key, s => (IReadOnlyCollection<string>)s.Get<string[]>()!.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal));

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseLumoAgentsMetering();

        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).SkipApiCallMetering();

        // Who am I? Any valid token: the caller as typed objects and in words.
        app.MapGet("/whoami", (HttpContext http) => Results.Ok(Describe(http.GetAgentCaller()!)))
            .RequireAuthorization(policy => policy.RequireAuthenticatedUser());

        // Any agent holding read:articles, as itself or for a user.
        app.MapGet("/articles", (HttpContext http) => Results.Ok(new
        {
            caller = Describe(http.GetAgentCaller()!),
            articles = Articles,
        })).RequireAuthorization(policy => policy.RequireAgentCapabilities("read:articles"));

        // Web search: only an agent acting for a user, at most two hops deep, each hop an allowed tool of the one before.
        app.MapGet("/search", (HttpContext http, string? q) => Results.Ok(new
        {
            caller = Describe(http.GetAgentCaller()!),
            query = q ?? string.Empty,
            results = Articles.Where(a => string.IsNullOrEmpty(q) || a.Title.Contains(q, StringComparison.OrdinalIgnoreCase)),
        })).RequireAuthorization(policy => policy.RequireAgentCapabilities("search:web").RequireActingForUser().RequireMaxChainDepth(2).RequireAllowedToolHop());

        // The private index: only the agent the user talks to directly (one hop), never a tool it calls.
        app.MapGet("/search/private", (HttpContext http) => Results.Ok(new
        {
            caller = Describe(http.GetAgentCaller()!),
            results = Array.Empty<Article>(),
        })).WithMetadata(new RequireAgentAttribute { Capabilities = "search:web", ActingForUser = true, MaxChainDepth = 1 });

        // Publishing: an agent acting for a user, with write:articles, which the token server hands out only once the user
        // approved this very action (OpenID CIBA): the token names the approval and what was approved.
        app.MapPost("/articles/summaries", (HttpContext http, SummaryRequest? summary) =>
        {
            if (http.User.FindFirst("approval_id")?.Value is not { } approval)
            {
                return Results.Problem("Publishing needs a token from the user's approval of it.", statusCode: StatusCodes.Status403Forbidden);
            }

            return Results.Ok(new
            {
                caller = Describe(http.GetAgentCaller()!),
                published = summary?.Title ?? "Summary",
                approval_id = approval,
                authorization_details = http.User.FindFirst("authorization_details")?.Value,
            });
        }).RequireAuthorization(policy => policy.RequireAgentCapabilities("write:articles").RequireActingForUser().RequireMaxChainDepth(1));

        return app;
    }

    /// <summary>A summary to publish.</summary>
    internal sealed record SummaryRequest(string? Title);

    /// <summary>
    /// The settings for the sample host on its default address. <c>Api:Issuer</c>, <c>Api:UsageEndpoint</c> and
    /// <c>Api:TokenEndpoint</c> follow from <c>Api:Authority</c> (see <see cref="TokenServer"/>) unless set.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> Defaults = new Dictionary<string, string?>
    {
        ["Urls"] = "http://127.0.0.1:5081",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Api:Authority"] = "http://127.0.0.1:5080/",
        ["Api:Audience"] = "acme-corp-api",
        ["Api:ClientId"] = "acme-corp-api",
        ["Api:ClientSecret"] = "acme-corp-api-local-trial-secret-0001", // local trials only, like every sample secret
        ["Api:AllowedTools:research-bot:0"] = "search-tool",
    };

    private static readonly Article[] Articles =
    [
        new(1, "Agents with their own identity"),
        new(2, "Why bearer tokens get replayed"),
        new(3, "Delegation chains in RFC 8693"),
    ];

    private static object Describe(AgentCaller caller) => new
    {
        subject = caller.Subject,
        current_actor = caller.CurrentActor.Subject,
        chain = caller.Chain.Select(a => a.Subject),
        acts_for_user = caller.ActsForUser,
        in_words = caller.Describe(),
    };

    private sealed record Article(int Id, string Title);
}
