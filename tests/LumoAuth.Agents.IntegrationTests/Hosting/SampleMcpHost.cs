using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The sample MCP server, hosted whole (its own Program, the MCP and resource-server packages, real Kestrel on a loopback
/// port), pointed at a running sample server and sample API. The port is reserved first, since the token server must
/// know the MCP server's address as a registered resource before either starts.
/// </summary>
public sealed class SampleMcpHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SampleMcpHost(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The MCP endpoint, <c>http://127.0.0.1:{port}/mcp</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts the MCP server at <paramref name="endpoint"/> (from <see cref="LibraryMcpHost.ReserveEndpoint"/>).</summary>
    public static async Task<SampleMcpHost> StartAsync(Uri endpoint, SampleServer server, SampleApiHost api)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(api);
        var app = LumoAuth.Agents.SampleMcpServer.Program.Create([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{endpoint.Port}",
            ["Mcp:Authority"] = server.BaseAddress.AbsoluteUri,
            ["Mcp:Api"] = api.BaseAddress.AbsoluteUri,
        }));
        await app.StartAsync();
        return new SampleMcpHost(app, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
