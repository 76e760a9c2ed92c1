using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LumoAuth.Agents.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace LumoAuth.Agents.SampleAgent;

/// <summary>
/// The MCP part of the demo, with the official MCP C# SDK client against the sample MCP server: Research Bot with its
/// own agent token (the tools it may call, one call, one refusal with its step-up scope); Research Bot acting for
/// Alice (read_article, which the MCP server answers by exchanging the token for the articles API, whose answer names
/// the whole chain); and Alice's own app, which logs her in through the SDK's OAuth support (discovery from the first
/// 401, authorization code with PKCE and resource) and registers by its client ID metadata document.
/// </summary>
public sealed class McpDemo
{
    private const string ResearchBotSecret = "research-bot-local-trial-secret-0001"; // local-trial secret of the sample tenant

    private readonly DemoSettings _settings;
    private readonly TextWriter _out;
    private readonly List<(string Step, bool Passed)> _steps = [];

    private McpDemo(DemoSettings settings, TextWriter output)
    {
        _settings = settings;
        _out = output;
    }

    /// <summary>Each step and whether it went as the story says.</summary>
    public IReadOnlyList<(string Step, bool Passed)> Steps => _steps;

    /// <summary>Runs the MCP part; the result lists each step and whether it went as expected.</summary>
    public static async Task<McpDemo> RunAsync(DemoSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var demo = new McpDemo(settings, output);
        await demo.RunAllAsync(cancellationToken);
        return demo;
    }

    private async Task RunAllAsync(CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o =>
        {
            o.TokenEndpoint = new Uri(_settings.Host, "connect/token");
            o.ClientId = "research-bot";
            o.ClientSecret = ResearchBotSecret;
        });
        await using var provider = services.BuildServiceProvider();
        var researchBot = provider.GetRequiredService<AgentTokenClient>();
        var resource = _settings.Mcp.AbsoluteUri;

        // ---- Research Bot as itself
        Heading("MCP 1: Research Bot calls the MCP server with its own agent token");
        var own = await researchBot.GetAgentTokenAsync("search:web read:articles", resource, ct);
        _out.WriteLine($"(a token for the MCP server: resource={resource}, RFC 8707)");
        await using (var client = await ConnectAsync(own, ct))
        {
            var tools = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
            _out.WriteLine("tools/list: " + string.Join(", ", tools) + "  (read_article needs a user to read for; run_code a capability Research Bot lacks)");
            Record("mcp: the tool list holds only what Research Bot may call", tools.SequenceEqual(["search_web"]));
            var found = await client.CallToolAsync("search_web", new Dictionary<string, object?> { ["query"] = "agents" }, cancellationToken: ct);
            _out.WriteLine("search_web: " + Text(found));
            Record("mcp: search_web as Research Bot", found.IsError != true && Text(found).Contains("Caller: Research Bot", StringComparison.Ordinal));
        }

        // The refused call, as the MCP server answers it: 403 with the scope to step up to (research-bot cannot hold it).
        using (var plain = new HttpClient())
        using (var call = new HttpRequestMessage(HttpMethod.Post, _settings.Mcp))
        {
            call.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", own);
            call.Headers.Accept.ParseAdd("application/json, text/event-stream");
            call.Content = new StringContent("""{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_code","arguments":{"code":"print(1)"}}}""", Encoding.UTF8, "application/json");
            using var refused = await plain.SendAsync(call, ct);
            _out.WriteLine($"run_code: {(int)refused.StatusCode} {refused.StatusCode}, WWW-Authenticate: {refused.Headers.WwwAuthenticate}");
            Record("mcp: run_code refused with its step-up scope", refused.StatusCode == HttpStatusCode.Forbidden &&
                refused.Headers.WwwAuthenticate.ToString().Contains("scope=\"tool:execute_code\"", StringComparison.Ordinal));
        }

        // ---- Research Bot acting for Alice
        Heading("MCP 2: Research Bot acting for Alice; the MCP server reads from the articles API for her");
        using var login = new UserLogin(_settings);
        _out.WriteLine("(Alice signs in and allows Research Bot on the consent page)");
        var alice = await login.AliceConsentsAsync("research-bot", ResearchBotSecret, "read:articles search:web", ct);
        var forMcp = await researchBot.GetDelegatedTokenAsync(alice, "read:articles search:web", resource, ct);
        _out.WriteLine("token for the MCP server, in words: " + Jwt.InWords(forMcp, Name));
        await using (var client = await ConnectAsync(forMcp, ct))
        {
            var tools = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
            _out.WriteLine("tools/list: " + string.Join(", ", tools));
            var article = await client.CallToolAsync("read_article", new Dictionary<string, object?> { ["id"] = 3 }, cancellationToken: ct);
            _out.WriteLine("read_article: " + Text(article));
            Record("mcp: read_article for Alice, the API sees the whole chain", article.IsError != true &&
                Text(article).Contains("The articles API saw: Research MCP, used by Research Bot, acting for Alice", StringComparison.Ordinal));
        }

        // ---- Alice's own app
        Heading("MCP 3: Alice's own MCP app logs her in (client ID metadata document, code + PKCE + resource)");
        await using var documents = await ClientDocumentServer.StartAsync(_settings.DevCertificateAuthority, ct);
        _out.WriteLine($"(the app's client_id is its metadata document: {documents.ClientId})");
        var asked = new List<Uri>();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = _settings.Mcp,
            TransportMode = HttpTransportMode.StreamableHttp,
            OAuth = new ClientOAuthOptions
            {
                ClientMetadataDocumentUri = new Uri(documents.ClientId),
                RedirectUri = documents.RedirectUri,
                AuthorizationCallbackHandler = async (context, cancellationToken) =>
                {
                    asked.Add(context.AuthorizationUri);
                    _out.WriteLine("(Alice signs in and allows the app on the consent page)");
                    using var answer = await login.AliceAllowsAsync(context.AuthorizationUri, cancellationToken);
                    var location = answer.Headers.Location ?? throw new DemoFailedException($"the consent step for Alice's app gave no redirect ({(int)answer.StatusCode}).");
                    return new AuthorizationResult
                    {
                        Code = UserLogin.QueryValue(location, "code"), State = UserLogin.QueryValue(location, "state"), Iss = UserLogin.QueryValue(location, "iss"),
                    };
                },
            },
        });
        await using (var client = await McpClient.CreateAsync(transport, cancellationToken: ct))
        {
            var request = asked.Single();
            _out.WriteLine($"the SDK found the token server from the 401 and asked: {request.GetLeftPart(UriPartial.Path)} with client_id, PKCE S256 and resource={UserLogin.QueryValue(request, "resource")}");
            var tools = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).Order(StringComparer.Ordinal).ToArray();
            _out.WriteLine("tools/list: " + string.Join(", ", tools));
            var article = await client.CallToolAsync("read_article", new Dictionary<string, object?> { ["id"] = 1 }, cancellationToken: ct);
            _out.WriteLine("read_article: " + Text(article));
            Record("mcp: Alice's app registered by its metadata document reads for her", UserLogin.QueryValue(request, "client_id") == documents.ClientId &&
                article.IsError != true && Text(article).Contains("The articles API saw: Research MCP, acting for Alice", StringComparison.Ordinal));
        }

        Heading("MCP summary");
        foreach (var (step, passed) in _steps)
        {
            _out.WriteLine($"{(passed ? "ok  " : "FAIL")} {step}");
        }
    }

    private Task<McpClient> ConnectAsync(string token, CancellationToken ct) => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = _settings.Mcp,
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
    }), cancellationToken: ct);

    private static string? Name(string subject) => subject switch
    {
        "user:alice" => "Alice",
        "agent:research-bot" => "Research Bot",
        "agent:research-mcp" => "Research MCP",
        _ => null,
    };

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    private void Heading(string text)
    {
        _out.WriteLine();
        _out.WriteLine("== " + text);
    }

    private void Record(string step, bool passed) => _steps.Add((step, passed));

    /// <summary>
    /// FOR THE DEMO ONLY: serves Alice's app's client ID metadata document over https on loopback, with a certificate
    /// issued from the sample host's development CA (which the host trusts for this). A real app publishes its document
    /// on its own public https address.
    /// </summary>
    private sealed class ClientDocumentServer : IAsyncDisposable
    {
        private static readonly string[] GrantTypes = ["authorization_code", "refresh_token"];
        private static readonly string[] ResponseTypes = ["code"];
        private readonly WebApplication _app;

        private ClientDocumentServer(WebApplication app, string clientId, Uri redirectUri)
        {
            _app = app;
            ClientId = clientId;
            RedirectUri = redirectUri;
        }

        public string ClientId { get; }

        public Uri RedirectUri { get; }

        public static async Task<ClientDocumentServer> StartAsync(string authorityPath, CancellationToken cancellationToken)
        {
            if (!File.Exists(authorityPath))
            {
                throw new DemoFailedException($"the sample host's development CA is not at '{authorityPath}'. Start the host in Development first (it makes the CA in its data folder), or pass --dev-ca PATH.");
            }

            using var authority = X509CertificateLoader.LoadPkcs12FromFile(authorityPath, null);
            using var certificate = IssueLoopbackCertificate(authority);
            var port = FreePort();
            var clientId = $"https://127.0.0.1:{port}/clients/research-notes.json";
            var redirect = new Uri($"http://127.0.0.1:{port}/callback"); // never reached: the demo plays the browser and reads the code
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            var served = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(served)));
            var app = builder.Build();
            app.MapGet("/clients/research-notes.json", () => Results.Json(new Dictionary<string, object>
            {
                ["client_id"] = clientId,
                ["client_name"] = "Research Notes (Alice's app)",
                ["redirect_uris"] = new[] { redirect.AbsoluteUri },
                ["grant_types"] = GrantTypes,
                ["response_types"] = ResponseTypes,
                ["token_endpoint_auth_method"] = "none",
            }));
            await app.StartAsync(cancellationToken);
            return new ClientDocumentServer(app, clientId, redirect);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();

        private static X509Certificate2 IssueLoopbackCertificate(X509Certificate2 authority)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(12));
            return issued.CopyWithPrivateKey(key);
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
