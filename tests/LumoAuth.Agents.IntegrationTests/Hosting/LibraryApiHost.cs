using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.AspNetCore.Metering;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// An API protected by the resource-server package the way its documentation tells a user, built here in code and
/// pointed at a running <see cref="LibraryServer"/>: tokens checked against the server's published keys, agents' calls
/// counted in its ledger through its usage endpoint (reported as <c>acme-corp-api</c>). Kestrel on a loopback port.
/// </summary>
public sealed class LibraryApiHost : IAsyncDisposable
{
    private static readonly (int Id, string Title)[] Articles = [(1, "Agents with their own identity"), (2, "Delegation chains in RFC 8693")];

    private readonly WebApplication _app;

    private LibraryApiHost(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First() + "/");
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the API for <paramref name="server"/>. <paramref name="bearer"/> and <paramref name="metering"/> change the
    /// package's options after the defaults; <paramref name="map"/> adds test endpoints beside the API's own.
    /// </summary>
    public static async Task<LibraryApiHost> StartAsync(LibraryServer server, Action<LumoAgentsBearerOptions>? bearer = null,
        Action<ApiCallMeteringOptions>? metering = null, Action<WebApplication>? map = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            ContentRootPath = Scratch.Directory("api-"),
            ApplicationName = typeof(LibraryApiHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure?.Invoke(builder);

        var issuer = server.Options.Issuer ?? server.BaseAddress;
        builder.Services.AddLumoAgentsResourceServer(options =>
            {
                options.Issuer = issuer;
                options.Audiences.Add(TestTenant.DefaultAudience);
                bearer?.Invoke(options);
            })
            .AddApiCallMetering(options =>
            {
                options.UsageEndpoint = server.BaseAddress.AbsoluteUri + LibraryServer.UsagePath.TrimStart('/');
                options.TokenEndpoint = new Uri(server.BaseAddress, "connect/token");
                options.ReporterClientId = TestTenant.DefaultAudience;
                options.ReporterClientSecret = TestTenant.ApiSecret;
                metering?.Invoke(options);
            })
            .UseAgentTools(new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal) { ["research-bot"] = ["search-tool"] });

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseLumoAgentsMetering();

        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).SkipApiCallMetering();

        // Any agent holding read:articles, as itself or for a user.
        app.MapGet("/articles", (HttpContext http) => Results.Ok(new { caller = Describe(http.GetAgentCaller()!), articles = Articles.Select(a => a.Title) }))
            .RequireAuthorization(policy => policy.RequireAgentCapabilities("read:articles"));

        // Only an agent acting for a user, at most two hops deep, each hop an allowed tool of the one before.
        app.MapGet("/search", (HttpContext http, string? q) => Results.Ok(new { caller = Describe(http.GetAgentCaller()!), query = q ?? string.Empty }))
            .RequireAuthorization(policy => policy.RequireAgentCapabilities("search:web").RequireActingForUser().RequireMaxChainDepth(2).RequireAllowedToolHop());

        // Only the agent the user talks to directly (one hop), never a tool it calls: the attribute form.
        app.MapGet("/search/private", (HttpContext http) => Results.Ok(new { caller = Describe(http.GetAgentCaller()!) }))
            .WithMetadata(new RequireAgentAttribute { Capabilities = "search:web", ActingForUser = true, MaxChainDepth = 1 });
        map?.Invoke(app);

        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new LibraryApiHost(app);
    }

    public HttpClient Http() => new() { BaseAddress = BaseAddress };

    private static object Describe(AgentCaller caller) => new
    {
        subject = caller.Subject,
        current_actor = caller.CurrentActor.Subject,
        chain = caller.Chain.Select(a => a.Subject),
        acts_for_user = caller.ActsForUser,
        in_words = caller.Describe(),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
