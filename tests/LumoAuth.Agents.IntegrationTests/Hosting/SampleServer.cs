using LumoAuth.Agents.Audit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The sample authorization server, hosted whole (its own Program, the ASP.NET Core pipeline, OpenIddict, the
/// pack, a real database) with its own data folder. Requests go through the real pipeline over the in-memory
/// test transport.
/// </summary>
public sealed class SampleServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    private SampleServer(Dictionary<string, string?> settings, string dataDirectory)
    {
        _settings = settings;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public static async Task<SampleServer> StartAsync(DatabaseKind kind, IDictionary<string, string?>? settings = null, string? dataDirectory = null, string? connectionString = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("lumo-agents-test-").FullName;
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

        var server = new SampleServer(all, dataDirectory);
        _ = server.Server; // start now, so seeding errors surface here
        return server;
    }

    public string ConnectionString => _settings["ConnectionStrings:Default"]!;

    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public async Task<T> WithServiceAsync<T, TService>(Func<TService, Task<T>> action) where TService : notnull
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public Task<IReadOnlyList<AuditRecord>> AuditAsync(AuditQuery query) =>
        WithServiceAsync<IReadOnlyList<AuditRecord>, IAuditStore>(store => store.QueryAsync(query, default).AsTask());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
