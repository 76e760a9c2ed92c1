using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The library's own test host: a WebApplication built here, in code, the way the README tells a user to add the pack
/// to an OpenIddict server (<c>AddLumoAgents()</c>, <c>UseLumoAgents()</c>, the pack's APIs and AAuth endpoint mapped),
/// over EF Core on a database of its own, with keys generated in memory, the <see cref="TestTenant"/> seeded through
/// the public registry API, and the smallest authorization endpoint. Kestrel listens on a free loopback port, so
/// requests cross the network stack and the whole ASP.NET Core pipeline. Library tests need nothing of the sample.
/// </summary>
public sealed class LibraryServer : ITestServer, IAsyncDisposable, IDisposable
{
    public const string SeedTokenPath = "/t/acme-corp/api/v1/oauth/token";
    public const string AAuthTokenPath = "/t/acme-corp/api/v1/aauth/agent/token";
    public const string AdminPath = "/t/acme-corp/api/v1/agents";
    public const string AuditPath = "/t/acme-corp/api/v1/audit";
    public const string UsagePath = "/t/acme-corp/api/v1/agents/{agentId}/usage";

    /// <summary>The co-hosted AAuth resource: answers only signed requests with a key-bound auth token carrying read:articles.</summary>
    public const string ArticlesPath = "/articles";

    private readonly WebApplication _app;
    private int _disposed;

    private LibraryServer(WebApplication app, LibraryServerOptions options, LibraryServerKeys keys, string connectionString)
    {
        _app = app;
        Options = options;
        Keys = keys;
        ConnectionString = connectionString;
        BaseAddress = new Uri(app.Urls.First(a => a.StartsWith("http://", StringComparison.Ordinal)) + "/");
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    public LibraryServerOptions Options { get; }

    public LibraryServerKeys Keys { get; }

    public string ConnectionString { get; }

    public static Task<LibraryServer> StartAsync(DatabaseKind database, IDictionary<string, string?>? settings = null) =>
        StartAsync(new LibraryServerOptions { Database = database, Settings = settings });

    public static async Task<LibraryServer> StartAsync(LibraryServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var shared = options.SharedWith;
        if (shared is not null)
        {
            options = options with { Database = shared.Options.Database, Issuer = options.Issuer ?? shared.Options.Issuer };
        }

        var dataDirectory = Scratch.Directory("library-");
        var connectionString = options.ConnectionString ?? shared?.ConnectionString ?? await TestDatabases.CreateAsync(options.Database, dataDirectory);
        var keys = shared?.Keys ?? new LibraryServerKeys();
        var app = Build(options, keys, connectionString, dataDirectory);
        try
        {
            if (shared is null)
            {
                await using (var scope = app.Services.CreateAsyncScope())
                {
                    await scope.ServiceProvider.GetRequiredService<LibraryDbContext>().Database.EnsureCreatedAsync();
                }

                await TestTenant.SeedAsync(app.Services, default);
            }

            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return new LibraryServer(app, options, keys, connectionString);
    }

    private static WebApplication Build(LibraryServerOptions options, LibraryServerKeys keys, string connectionString, string dataDirectory)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = options.Environment ?? Environments.Development,
            ContentRootPath = dataDirectory,
            ApplicationName = typeof(LibraryServer).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var settings = new Dictionary<string, string?> { ["LumoAgents:DefaultAudience"] = TestTenant.DefaultAudience };
        foreach (var (key, value) in options.Settings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);

        builder.Services.AddDbContextPool<LibraryDbContext>(db =>
        {
            _ = options.Database switch
            {
                DatabaseKind.Sqlite => db.UseSqlite(connectionString),
                DatabaseKind.PostgreSql => db.UseNpgsql(connectionString),
                _ => db.UseSqlServer(connectionString),
            };
            db.UseOpenIddict();
        });

        builder.Services.AddLumoAgents().UseEntityFrameworkCore<LibraryDbContext>()
            .AddAAuthResource(keys.ArticlesResourceTrust());
        builder.Services.AddLumoAgentsAAuthResource(resource =>
        {
            resource.ResourceIdentifier = TestTenant.ArticlesResource;
            resource.TokenEndpointPath = AAuthTokenPath.TrimStart('/');
            resource.ResourceTokenSigningCredentials = new SigningCredentials(keys.ArticlesResource, SecurityAlgorithms.EcdsaSha256);
            resource.TokenServerKeys.Add(keys.Signing); // co-hosted: the server's own key
        });

        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<LibraryDbContext>())
            .AddServer(server =>
            {
                server.SetTokenEndpointUris("connect/token", SeedTokenPath.TrimStart('/'))
                      .SetAuthorizationEndpointUris(TestAuthorizationEndpoint.Path.TrimStart('/'))
                      .SetIntrospectionEndpointUris("connect/introspect", "t/acme-corp/api/v1/oauth/introspect");
                if (options.Issuer is not null)
                {
                    server.SetIssuer(options.Issuer);
                }

                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange().AllowRefreshTokenFlow();

                // Agents' capabilities are the scope registry: no scope is registered with OpenIddict.
                server.DisableScopeValidation();
                server.AddSigningKey(keys.Signing).AddEncryptionKey(keys.Encryption);
                server.UseLumoAgents();
                server.AddEventHandler(ServiceClientSignIn.Descriptor);
                server.UseAspNetCore().EnableAuthorizationEndpointPassthrough().DisableTransportSecurityRequirement();
            })
            // Validates this server's own access tokens at the pack's APIs.
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
            });

        // The users approval requests may name (OpenID CIBA login_hint).
        builder.Services.AddSingleton<LumoAuth.Agents.Subjects.IUserDirectory, TestUserDirectory>();
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseLumoAgentsAAuth();
        app.MapTestAuthorization();
        app.MapLumoAgentsUsage(UsagePath);
        app.MapLumoAgentsAdmin(AdminPath);
        app.MapLumoAgentsAudit(AuditPath);
        app.MapLumoAgentsAAuth(AAuthTokenPath, "/aauth/agent/token");
        app.MapLumoAgentsClientRegistration();
        app.MapLumoAgentsBackchannelAuthentication();
        app.MapGet(ArticlesPath, (HttpContext http) => Results.Ok(new
        {
            caller = http.User.FindFirst("agent")?.Value,
            subject = http.User.FindFirst("sub")?.Value,
            articles = new[] { new { id = 1, title = "Agents with their own keys" } },
        })).RequireAAuth("read:articles");
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
