using LumoAuth.Agents.SampleHost.AAuth;
using LumoAuth.Agents.SampleHost.Benchmarking;
using LumoAuth.Agents.SampleHost.Data;
using LumoAuth.Agents.SampleHost.Endpoints;
using LumoAuth.Agents.SampleHost.Hosting;
using LumoAuth.Agents.SampleHost.Keys;
using LumoAuth.Agents.SampleHost.Pages.Admin;
using LumoAuth.Agents.SampleHost.Problems;
using LumoAuth.Agents.SampleHost.Workload;
using LumoAuth.Agents.Workload;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.Tokens;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

// Everything the sample writes (SQLite database, local signing keys) lives in one data folder.
var dataDirectory = Path.GetFullPath(builder.Configuration["Sample:DataDirectory"] ?? Path.Combine(builder.Environment.ContentRootPath, "App_Data"));
Directory.CreateDirectory(dataDirectory);

var provider = builder.Configuration["Database:Provider"] ?? "Sqlite";
var connectionString = builder.Configuration.GetConnectionString("Default") ?? $"Data Source={Path.Combine(dataDirectory, "lumo-sample.db")}";
// Pooled contexts: the options are built once and contexts are reused, instead of both being built for every
// request (about a fifth of the CPU of a refused token request; benchmarks/README.md).
builder.Services.AddDbContextPool<ApplicationDbContext>(options =>
{
    _ = provider.ToUpperInvariant() switch
    {
        "SQLITE" => options.UseSqlite(connectionString),
        "POSTGRESQL" => options.UseNpgsql(connectionString),
        "SQLSERVER" => options.UseSqlServer(connectionString),
        _ => throw new InvalidOperationException($"Database:Provider '{provider}' is not one of Sqlite, PostgreSQL, SqlServer."),
    };
    options.UseOpenIddict();
});

builder.Services.AddIdentity<IdentityUser, IdentityRole>()
    .AddEntityFrameworkStores<ApplicationDbContext>()
    .AddDefaultTokenProviders();
builder.Services.ConfigureApplicationCookie(options => options.LoginPath = "/account/login");
builder.Services.AddAntiforgery();
builder.Services.AddAdminPages();
builder.Services.AddOpenApi();
builder.Services.AddProblemDetails();

var agents = builder.Services.AddLumoAgents().UseEntityFrameworkCore<ApplicationDbContext>();
// Approval requests name users by user name or e-mail address (OpenID CIBA login_hint).
builder.Services.AddSingleton<LumoAuth.Agents.Subjects.IUserDirectory, LumoAuth.Agents.SampleHost.Endpoints.SampleUserDirectory>();

// Local trials: MCP clients on this machine serve their client ID metadata documents over https with a certificate
// from the sample's development CA, and from a loopback address (see DevelopmentCertificateAuthority).
if (builder.Configuration.GetValue("Sample:DevCertificateAuthority", false))
{
    using var authority = DevelopmentCertificateAuthority.LoadOrCreate(dataDirectory);
    var trusted = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(authority.RawData);
    agents.Configure(options =>
    {
        options.ClientRegistration.MetadataDocuments.TrustedCertificateAuthorities.Add(trusted);
        options.ClientRegistration.MetadataDocuments.AllowPrivateNetwork = true;
    });
}

// Seed pattern 4 (AAuth): a sample resource this host serves, whose resource tokens the token server accepts.
var resourceKey = SampleAAuth.LoadOrCreateResourceKey(dataDirectory);
agents.AddAAuthResource(SampleAAuth.Resource(resourceKey));
builder.Services.AddLumoAgentsAAuthResource(options =>
{
    options.ResourceIdentifier = SampleAAuth.ResourceIdentifier;
    options.TokenEndpointPath = "t/acme-corp/api/v1/aauth/agent/token";
    options.ResourceTokenSigningCredentials = new SigningCredentials(resourceKey, SecurityAlgorithms.EcdsaSha256);
    foreach (var key in LocalKeys.LoadOrCreateSigningKeys(dataDirectory))
    {
        options.TokenServerKeys.Add(key); // co-hosted: the server's own keys
    }
});

// DEV ONLY: a local stand-in for a Kubernetes cluster so the seed's pattern 2 works on one machine.
DevKubernetesIssuer? devKubernetes = null;
if (builder.Configuration.GetValue("Sample:DevKubernetesIssuer", false))
{
    if (!builder.Environment.IsDevelopment())
    {
        throw new InvalidOperationException("Sample:DevKubernetesIssuer mints workload identities for anyone on this machine; it runs in the Development environment only.");
    }

    devKubernetes = new DevKubernetesIssuer(dataDirectory);
    agents.AddWorkloadIssuer(devKubernetes.Trust(),
        WorkloadBinding.Kubernetes("research-bot", DevKubernetesIssuer.Name, "agents", "research-bot", DevKubernetesIssuer.ServiceAccountUid("agents", "research-bot")),
        WorkloadBinding.Kubernetes("search-tool", DevKubernetesIssuer.Name, "agents", "search-tool", DevKubernetesIssuer.ServiceAccountUid("agents", "search-tool")));
}

builder.Services.AddOpenIddict()
    .AddCore(options => options.UseEntityFrameworkCore().UseDbContext<ApplicationDbContext>())
    .AddServer(options =>
    {
        // The seed's tenant paths next to the conventional ones.
        options.SetTokenEndpointUris("connect/token", "t/acme-corp/api/v1/oauth/token")
               .SetAuthorizationEndpointUris("connect/authorize", "t/acme-corp/api/v1/oauth/authorize")
               .SetIntrospectionEndpointUris("connect/introspect", "t/acme-corp/api/v1/oauth/introspect");

        if (builder.Configuration["Sample:Issuer"] is { Length: > 0 } issuer)
        {
            options.SetIssuer(new Uri(issuer));
        }

        options.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange().AllowRefreshTokenFlow();

        // Agents' capabilities are the scope registry here: the authorization endpoint checks requested scopes
        // against the agent's capabilities, and the token endpoint's agent policy does the same.
        options.DisableScopeValidation();

        foreach (var key in LocalKeys.LoadOrCreateSigningKeys(dataDirectory))
        {
            options.AddSigningKey(key); // ES256 signs; the RSA key of earlier versions still verifies
        }

        options.AddEncryptionKey(LocalKeys.LoadOrCreateEncryptionKey(dataDirectory));

        if (builder.Configuration.GetValue("Sample:Pack", "on") == "off")
        {
            // BENCHMARKS ONLY: OpenIddict's own token exchange without our pack, as the side-by-side peer.
            options.AllowClientCredentialsFlow().AllowTokenExchangeFlow().AcceptAnonymousClients().DisableAccessTokenEncryption();
            options.AddEventHandler(LumoAuth.Agents.SampleHost.Benchmarking.PeerTokenExchange.Descriptor);

            // The same client-secret cache the pack installs, so the comparison isolates policy, budget and audit.
            builder.Services.TryAddSingleton<LumoAuth.Agents.OpenIddict.Clients.VerifiedSecretCache>();
            builder.Services.Replace(ServiceDescriptor.Scoped(typeof(OpenIddict.Core.OpenIddictApplicationManager<>), typeof(LumoAuth.Agents.OpenIddict.Clients.CachingApplicationManager<>)));
        }
        else
        {
            options.UseLumoAgents();
        }

        options.AddEventHandler(ServiceClientCredentials.Descriptor);

        var aspNetCore = options.UseAspNetCore().EnableAuthorizationEndpointPassthrough();
        if (builder.Configuration.GetValue("Sample:AllowHttp", true))
        {
            // Local trials run on plain HTTP over loopback; a deployed server must not.
            aspNetCore.DisableTransportSecurityRequirement();
        }
    })
    // Validates this server's own access tokens for its APIs (the usage report endpoint).
    .AddValidation(options =>
    {
        options.UseLocalServer();
        options.UseAspNetCore();
    });

builder.Services.TryAddScoped<LumoAuth.Agents.IAgentClientRegistrar, LumoAuth.Agents.OpenIddict.Registration.OpenIddictAgentClientRegistrar>();

var app = builder.Build();

try
{
    await SampleDatabase.PrepareAsync(app.Services, PublicOrigin.From(builder.Configuration), app.Lifetime.ApplicationStopping);
}
catch (Exception exception) when (System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly)
{
    // Run as a program, a start that cannot reach or prepare its database ends here with exit code 1 and the reason,
    // rather than as an unhandled exception (or a process left behind that serves nothing). Hosted by a test factory,
    // the exception goes on to the factory.
    app.Logger.LogCritical(exception, "The sample host could not prepare its database.");
    await Console.Error.WriteLineAsync("The sample host could not start: " + StartFailure.Reason(exception));
    await app.DisposeAsync();
    return 1;
}

app.UseProblemResponses();
app.UseAuthentication();
app.UseLumoAgentsAAuth();
// After the exception handler and the AAuth resource: the admin pages' policy is the first authorization here.
app.UseAuthorization();

app.MapGet("/", () => Results.Redirect("/account/consents"));
app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
app.MapAccountEndpoints();
app.MapApprovalEndpoints();
app.MapAdminPages();
app.MapAuthorizationEndpoints("/connect/authorize", "/t/acme-corp/api/v1/oauth/authorize");
app.MapLumoAgentsUsage("/t/acme-corp/api/v1/agents/{agentId}/usage");
app.MapLumoAgentsAdmin("/t/acme-corp/api/v1/agents");
app.MapLumoAgentsAudit("/t/acme-corp/api/v1/audit");
app.MapLumoAgentsAAuth("/t/acme-corp/api/v1/aauth/agent/token", "/aauth/agent/token");
app.MapLumoAgentsClientRegistration(); // answers only when LumoAgents:ClientRegistration:Dynamic:Enabled
app.MapLumoAgentsBackchannelAuthentication(); // OpenID CIBA: agents ask users to approve sensitive actions

// The sample resource: answers only AAuth-signed requests with a key-bound auth token carrying read:articles.
app.MapGet("/sample-api/articles", (HttpContext http) => Results.Ok(new
{
    caller = http.User.FindFirst("agent")?.Value,
    subject = http.User.FindFirst("sub")?.Value,
    articles = new[] { new { id = 1, title = "Agents with their own keys" }, new { id = 2, title = "Why bearer tokens get replayed" } },
})).RequireAAuth("read:articles");

// The admin, usage and audit APIs described (OpenAPI) and explorable in the browser at /api-docs.
app.MapOpenApi();
app.MapScalarApiReference("/api-docs", options => options.WithTitle("LumoAuth.Agents sample APIs"));
if (builder.Configuration.GetValue("Sample:DiagnosticsEndpoint", false))
{
    app.MapRuntimeDiagnostics();
}

if (devKubernetes is not null)
{
    app.MapPost("/dev/kubernetes/token", async (HttpRequest request, TimeProvider time) =>
    {
        if (request.HttpContext.Connection.RemoteIpAddress is not { } caller || !System.Net.IPAddress.IsLoopback(caller))
        {
            return Results.NotFound();
        }

        var form = await request.ReadFormAsync();
        var ns = form["namespace"].ToString() is { Length: > 0 } n ? n : "agents";
        var serviceAccount = form["serviceaccount"].ToString();
        return string.IsNullOrEmpty(serviceAccount)
            ? Results.Problem("Give the service account: -d serviceaccount=research-bot", statusCode: 400)
            : Results.Text(devKubernetes.Mint(ns, serviceAccount, time));
    }).DisableAntiforgery();
}

await app.RunAsync();
return 0;

/// <summary>The sample host's entry point; public so integration tests can host it.</summary>
public partial class Program;
