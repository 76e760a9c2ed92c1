using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The sample authorization server, hosted whole (its own Program, the ASP.NET Core pipeline, OpenIddict, the
/// pack, a real database) with its own data folder, listening with Kestrel on a loopback port.
/// </summary>
public sealed class SampleServer : WebApplicationFactory<Program>, ITestServer
{
    private readonly Dictionary<string, string?> _settings;

    private readonly Action<IServiceCollection>? _configureServices;

    private SampleServer(Dictionary<string, string?> settings, string dataDirectory, Action<IServiceCollection>? configureServices)
    {
        _settings = settings;
        DataDirectory = dataDirectory;
        _configureServices = configureServices;
    }

    public string DataDirectory { get; }

    public static async Task<SampleServer> StartAsync(DatabaseKind kind, IDictionary<string, string?>? settings = null, string? dataDirectory = null,
        string? connectionString = null, Action<IServiceCollection>? configureServices = null)
    {
        dataDirectory ??= Scratch.Directory("server-");
        connectionString ??= await TestDatabases.CreateAsync(kind, dataDirectory);
        var all = new Dictionary<string, string?>
        {
            ["Sample:DataDirectory"] = dataDirectory,
            ["Sample:PublicOrigin"] = "http://localhost/",
            ["Database:Provider"] = TestDatabases.Provider(kind),
            ["ConnectionStrings:Default"] = connectionString,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var server = new SampleServer(all, dataDirectory, configureServices);

        // Real sockets: Kestrel on a free loopback port, so requests cross the network stack like a user's do.
        server.UseKestrel(0);
        server.StartServer();
        var addresses = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        server.BaseAddress = new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)) + "/");
        return server;
    }

    public string ConnectionString => _settings["ConnectionStrings:Default"]!;

    /// <summary>The address Kestrel listens on, e.g. <c>http://127.0.0.1:41234/</c>; also the token issuer.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        if (_configureServices is not null)
        {
            builder.ConfigureServices(_configureServices);
        }
    }
}
