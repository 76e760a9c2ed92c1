using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The sample API, hosted whole (its own Program, the resource-server package, real Kestrel on a loopback port),
/// pointed at a running sample server: keys from its JWKS, API calls counted through its usage endpoint.
/// </summary>
public sealed class SampleApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SampleApiHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the API for <paramref name="server"/>; <paramref name="map"/> adds test endpoints beside the sample's.</summary>
    public static async Task<SampleApiHost> StartAsync(SampleServer server, IDictionary<string, string?>? settings = null, Action<WebApplication>? map = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Api:Issuer"] = server.BaseAddress.AbsoluteUri,
            ["Api:UsageEndpoint"] = new Uri(server.BaseAddress, "t/acme-corp/api/v1/agents/{agentId}/usage").AbsoluteUri.Replace("%7B", "{", StringComparison.Ordinal).Replace("%7D", "}", StringComparison.Ordinal),
            ["Api:TokenEndpoint"] = new Uri(server.BaseAddress, "connect/token").AbsoluteUri,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = LumoAuth.Agents.SampleApi.Program.Create([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(all);
            configure?.Invoke(builder);
        });
        map?.Invoke(app);
        await app.StartAsync();
        return new SampleApiHost(app, new Uri(app.Urls.First() + "/"));
    }

    public HttpClient Http() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
