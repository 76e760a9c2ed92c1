using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using LumoAuth.Agents.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// An MCP server (the official SDK's streamable HTTP transport) protected by the pack the way its documentation tells a
/// user: the resource-server package with the server's own address as resource identifier, the tools' requirements
/// declared with <see cref="RequireAgentAttribute"/>, tool calls metered through the token server's usage endpoint.
/// Kestrel on a loopback port chosen before the start, so the identifier is the address clients connect to.
/// </summary>
public sealed class LibraryMcpHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LibraryMcpHost(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The MCP endpoint, which is also the resource identifier.</summary>
    public Uri Endpoint { get; }

    /// <summary>An address on a free loopback port, known before the token server that registers it as a resource starts.</summary>
    public static Uri ReserveEndpoint() => new($"http://127.0.0.1:{FreePort()}/mcp");

    public static async Task<LibraryMcpHost> StartAsync(LibraryServer server, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(endpoint);
        var port = endpoint.Port;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Development,
            ContentRootPath = Scratch.Directory("mcp-"),
            ApplicationName = typeof(LibraryMcpHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddLumoAgentsResourceServer(options =>
            {
                options.Issuer = server.Options.Issuer ?? server.BaseAddress;
                options.Resource = endpoint;
                options.ResourceName = "Test MCP server";
                options.ScopesSupported.Add("search:web");
            })
            .AddApiCallMetering(options =>
            {
                options.UsageEndpoint = server.BaseAddress.AbsoluteUri + LibraryServer.UsagePath.TrimStart('/');
                options.TokenEndpoint = new Uri(server.BaseAddress, "connect/token");
                options.ReporterClientId = TestTenant.DefaultAudience;
                options.ReporterClientSecret = TestTenant.ApiSecret;
            });
        builder.Services.AddMcpServer().WithHttpTransport().WithTools<TestMcpTools>().AddLumoAgentsToolPolicies();

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapLumoAgentsProtectedResourceMetadata();
        app.MapLumoAgentsMcp("/mcp");
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new LibraryMcpHost(app, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The test MCP server's tools, each answering with the chain of agency it saw.</summary>
[McpServerToolType]
public sealed class TestMcpTools
{
    [McpServerTool(Name = "search_web"), System.ComponentModel.Description("Searches the web."), RequireAgent(Capabilities = "search:web")]
    public static string SearchWeb(string query, ClaimsPrincipal user) => $"results for '{query}'; caller: {user.GetAgentCaller()!.Describe()}";

    [McpServerTool(Name = "read_notes"), System.ComponentModel.Description("Reads the user's notes."), RequireAgent(Capabilities = "read:articles", ActingForUser = true)]
    public static string ReadNotes(ClaimsPrincipal user) => "notes; caller: " + user.GetAgentCaller()!.Describe();

    [McpServerTool(Name = "run_code"), System.ComponentModel.Description("Runs code."), RequireAgent(Capabilities = "tool:execute_code")]
    public static string RunCode(string code) => "ran " + code.Length + " characters";
}
