using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.Authentication;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace LumoAuth.Agents.IntegrationTests.Mcp;

/// <summary>
/// OAuth Client ID Metadata Documents, as MCP clients register: the official SDK client logs in with an https-style
/// client_id the server resolves, and every document the server must not use is refused with invalid_client and
/// client_metadata_document_refused, audited, without creating a client. The documents are served by a real HTTPS server
/// on loopback with a certificate from a CA made for the test; the lenient token server trusts that CA and may fetch from
/// private addresses (as in development), the strict one keeps the defaults.
/// </summary>
public sealed class ClientMetadataDocumentTests
{
    private WebApplication _documents = null!;
    private Uri _documentsBase = null!;
    private Uri _plainBase = null!;
    private X509Certificate2 _authority = null!;
    private Uri _endpoint = null!;
    private LibraryServer _lenient = null!;
    private LibraryServer _strict = null!;
    private LibraryMcpHost _mcp = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        (_authority, var serverCertificate) = TestCertificates();
        var (httpsPort, httpPort) = (FreePort(), FreePort());
        _documents = StartDocumentServer(serverCertificate, httpsPort, httpPort);
        await _documents.StartAsync();
        _documentsBase = new Uri($"https://127.0.0.1:{httpsPort}/");
        _plainBase = new Uri($"http://127.0.0.1:{httpPort}/");
        _endpoint = LibraryMcpHost.ReserveEndpoint();
        var resource = new Dictionary<string, string?>
        {
            ["LumoAgents:Resources:0:Identifier"] = _endpoint.AbsoluteUri,
            ["LumoAgents:Resources:0:Name"] = "Test MCP server",
            ["LumoAgents:Resources:0:Scopes:0"] = "search:web",
        };
        _lenient = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            Settings = new Dictionary<string, string?>(resource) { ["LumoAgents:ClientRegistration:MetadataDocuments:AllowPrivateNetwork"] = "true" },
            ConfigureServices = services => services.Configure<Configuration.LumoAgentsOptions>(
                options => options.ClientRegistration.MetadataDocuments.TrustedCertificateAuthorities.Add(_authority)),
        });
        _strict = await LibraryServer.StartAsync(DatabaseKind.Sqlite, resource);
        _mcp = await LibraryMcpHost.StartAsync(_lenient, _endpoint);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _mcp.DisposeAsync();
        await _lenient.DisposeAsync();
        await _strict.DisposeAsync();
        await _documents.DisposeAsync();
        _authority.Dispose();
    }

    [Test]
    public async Task Discovery_says_metadata_documents_are_supported()
    {
        using var http = _strict.Http();
        using var metadata = JsonDocument.Parse(await http.GetStringAsync(new Uri(".well-known/oauth-authorization-server", UriKind.Relative)));
        Assert.Multiple(() =>
        {
            Assert.That(metadata.RootElement.GetProperty("client_id_metadata_document_supported").GetBoolean(), Is.True);
            Assert.That(metadata.RootElement.TryGetProperty("registration_endpoint", out _), Is.False, "dynamic registration is off by default");
        });
    }

    [Test]
    public async Task The_official_sdk_logs_in_with_a_metadata_document_and_calls_a_tool_as_the_user()
    {
        var clientId = Document("notes.json");
        var authorizations = new List<Uri>();
        using var browser = _lenient.Browser();
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = _endpoint,
            TransportMode = HttpTransportMode.StreamableHttp,
            OAuth = new ClientOAuthOptions
            {
                ClientMetadataDocumentUri = new Uri(clientId),
                RedirectUri = new Uri(UserConsentFlow.RedirectUri),
                AuthorizationCallbackHandler = async (context, cancellationToken) =>
                {
                    authorizations.Add(context.AuthorizationUri);
                    using var response = await browser.GetAsync(context.AuthorizationUri, cancellationToken);
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync(cancellationToken));
                    var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
                    return new AuthorizationResult { Code = query["code"], State = query["state"], Iss = query["iss"] };
                },
            },
        });
        await using var client = await McpClient.CreateAsync(transport);
        var result = await client.CallToolAsync("search_web", new Dictionary<string, object?> { ["query"] = "cimd" });

        var asked = QueryHelpers.ParseQuery(authorizations.Single().Query);
        Assert.Multiple(() =>
        {
            Assert.That(asked["client_id"].ToString(), Is.EqualTo(clientId), "the document's URL is the client_id");
            Assert.That(asked["resource"].ToString(), Is.EqualTo(_endpoint.AbsoluteUri));
            Assert.That(result.IsError, Is.Not.True);
            Assert.That(string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text)), Is.EqualTo("results for 'cimd'; caller: Alice"));
        });
    }

    [Test]
    public async Task A_metadata_document_client_gets_a_token_for_the_user_with_pkce()
    {
        var clientId = Document("notes.json");
        var (status, location, body) = await AuthorizeAsync(_lenient, clientId, UserConsentFlow.RedirectUri, _endpoint.AbsoluteUri);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Redirect), body);
        var code = QueryHelpers.ParseQuery(location!.Query)["code"].ToString();
        using var http = _lenient.Http();
        var token = await TokenEndpoint.PostAsync(http,
        [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", UserConsentFlow.RedirectUri),
            ("client_id", clientId), ("code_verifier", Verifier), ("resource", _endpoint.AbsoluteUri),
        ]);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        var claims = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token.AccessToken);
        Assert.Multiple(() =>
        {
            Assert.That(claims.Subject, Is.EqualTo(Subjects.SubjectIdentifier.ForUser(TestTenant.DefaultUser)), "a user's app: the user is the subject");
            Assert.That(claims.GetClaim("client_id").Value, Is.EqualTo(clientId));
            Assert.That(claims.TryGetClaim("act", out _), Is.False, "no agent in the chain");
            Assert.That(claims.Audiences, Is.EqualTo(new[] { _endpoint.AbsoluteUri }));
        });
    }

    [TestCase("redirect.json", "redirects are not followed", TestName = "A document behind a redirect is refused")]
    [TestCase("big.json", "more than 5120 bytes", TestName = "An oversized document is refused")]
    [TestCase("mismatch.json", "client_id is not the URL", TestName = "A document naming another client_id is refused")]
    [TestCase("secret.json", "shared secret", TestName = "A document with secret-based authentication is refused")]
    [TestCase("with-secret.json", "may not carry a client secret", TestName = "A document carrying a client secret is refused")]
    [TestCase("not-json.json", "not valid JSON", TestName = "A document that is not JSON is refused")]
    [TestCase("missing.json", "answered 404", TestName = "A missing document is refused")]
    [TestCase("bad-redirect.json", "Each redirect URI", TestName = "A document with a javascript redirect URI is refused")]
    public async Task A_document_the_server_must_not_use_is_refused(string name, string reason)
    {
        var clientId = Document(name);
        await AssertRefusedAsync(_lenient, clientId, reason);
    }

    [Test]
    public async Task A_document_over_plain_http_is_refused_by_default()
    {
        await AssertRefusedAsync(_strict, new Uri(_plainBase, "clients/notes.json").AbsoluteUri, "must be served over https");
    }

    [Test]
    public async Task A_document_on_a_private_address_is_refused_by_default()
    {
        // https, so the scheme is fine: the refusal is the connect-time address check, before any TLS.
        await AssertRefusedAsync(_strict, Document("notes.json"), "never fetched from (private, loopback or link-local)");
    }

    [Test]
    public async Task A_document_server_whose_certificate_chains_to_no_trusted_root_is_refused()
    {
        using var untrusting = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:ClientRegistration:MetadataDocuments:AllowPrivateNetwork"] = "true",
        });
        await AssertRefusedAsync(untrusting, Document("notes.json"), "could not be fetched");
    }

    [TestCase("https://notes.example/", "needs a path", TestName = "A client_id URL without a path is refused")]
    [TestCase("https://notes.example/a/../client.json", "dot segments", TestName = "A client_id URL with dot segments is refused")]
    [TestCase("https://user@notes.example/client.json", "user information", TestName = "A client_id URL with user information is refused")]
    public async Task A_malformed_client_id_url_is_refused_without_a_fetch(string clientId, string reason)
    {
        await AssertRefusedAsync(_strict, clientId, reason);
    }

    [Test]
    public async Task A_too_long_client_id_url_is_refused()
    {
        await AssertRefusedAsync(_lenient, Document("x" + new string('a', 100) + ".json"), "at most 100 characters");
    }

    [Test]
    public async Task A_redirect_uri_the_document_does_not_list_is_refused()
    {
        var (status, location, body) = await AuthorizeAsync(_lenient, Document("notes.json"), "http://localhost/elsewhere");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), "never redirected to an unlisted URI");
            Assert.That(location, Is.Null);
            Assert.That(body, Does.Contain("redirect_uri"));
        });
    }

    [Test]
    public async Task A_refused_document_at_the_token_endpoint_is_invalid_client()
    {
        using var http = _lenient.Http();
        var token = await TokenEndpoint.PostAsync(http,
        [
            ("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", UserConsentFlow.RedirectUri),
            ("client_id", Document("mismatch.json")), ("code_verifier", Verifier),
        ]);
        Assert.Multiple(() =>
        {
            Assert.That(token.Status, Is.EqualTo(HttpStatusCode.BadRequest).Or.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(token["error"], Is.EqualTo("invalid_client"));
            Assert.That(token["error_code"], Is.EqualTo("client_metadata_document_refused"));
        });
    }

    private static async Task AssertRefusedAsync(LibraryServer server, string clientId, string reason)
    {
        var (status, location, body) = await AuthorizeAsync(server, clientId, UserConsentFlow.RedirectUri);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized), "invalid_client, shown rather than redirected: " + body);
            Assert.That(location, Is.Null, "a client that could not be verified is never redirected to");
            Assert.That(body, Does.Contain("error:invalid_client"));
            Assert.That(body, Does.Contain("client_metadata_document_refused"));
            Assert.That(body, Does.Contain(reason));
        });
        var audited = (await server.AuditAsync(new Audit.AuditQuery { ReasonCode = "client_metadata_document_refused", Take = 500 }))
            .Any(r => r.ClientId == clientId || (clientId.Length > 200 && r.ClientId is null));
        Assert.That(audited, Is.True, "the refusal is in the audit trail");
        var created = await server.WithServiceAsync<bool, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(async apps =>
            await apps.FindByClientIdAsync(clientId) is not null);
        Assert.That(created, Is.False, "nothing is registered");
    }

    private const string Verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-cimd-tests";

    private static async Task<(HttpStatusCode Status, Uri? Location, string Body)> AuthorizeAsync(LibraryServer server, string clientId, string redirectUri, string? resource = null)
    {
        using var browser = server.Browser();
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(Verifier)));
        var query = QueryString.Create(new Dictionary<string, string?>
        {
            ["client_id"] = clientId, ["response_type"] = "code", ["redirect_uri"] = redirectUri, ["scope"] = "search:web",
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256", ["state"] = "s1", ["resource"] = resource,
        }.Where(p => p.Value is not null));
        using var response = await browser.GetAsync(new Uri("/connect/authorize" + query, UriKind.Relative));
        return (response.StatusCode, response.Headers.Location, await response.Content.ReadAsStringAsync());
    }

    private string Document(string name) => new Uri(_documentsBase, "clients/" + name).AbsoluteUri;

    /// <summary>A CA made for the test, and a server certificate it signed for 127.0.0.1.</summary>
    private static (X509Certificate2 Authority, X509Certificate2 Server) TestCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Client metadata test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(serverKey);
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
        return (X509CertificateLoader.LoadCertificate(ca.RawData), server);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static WebApplication StartDocumentServer(X509Certificate2 certificate, int httpsPort, int httpPort)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production, ContentRootPath = Scratch.Directory("cimd-"),
            ApplicationName = typeof(ClientMetadataDocumentTests).Assembly.GetName().Name,
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, httpsPort, listen => listen.UseHttps(certificate));
            kestrel.Listen(IPAddress.Loopback, httpPort);
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        string Self(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.Path}";
        object Notes(string clientId) => new Dictionary<string, object?>
        {
            ["client_id"] = clientId, ["client_name"] = "Notes", ["redirect_uris"] = new[] { UserConsentFlow.RedirectUri },
            ["grant_types"] = new[] { "authorization_code", "refresh_token" }, ["response_types"] = new[] { "code" },
            ["token_endpoint_auth_method"] = "none",
        };
        app.MapGet("/clients/notes.json", (HttpContext http) => Results.Json(Notes(Self(http))));
        app.MapGet("/clients/redirect.json", () => Results.Redirect("/clients/notes.json"));
        app.MapGet("/clients/big.json", (HttpContext http) => Results.Json(new Dictionary<string, object?>
        {
            ["client_id"] = Self(http), ["redirect_uris"] = new[] { UserConsentFlow.RedirectUri }, ["padding"] = new string('p', 6000),
        }));
        app.MapGet("/clients/mismatch.json", () => Results.Json(new Dictionary<string, object?>
        {
            ["client_id"] = "https://notes.example/client.json", ["redirect_uris"] = new[] { UserConsentFlow.RedirectUri },
        }));
        app.MapGet("/clients/secret.json", (HttpContext http) => Results.Json(new Dictionary<string, object?>
        {
            ["client_id"] = Self(http), ["redirect_uris"] = new[] { UserConsentFlow.RedirectUri }, ["token_endpoint_auth_method"] = "client_secret_basic",
        }));
        app.MapGet("/clients/with-secret.json", (HttpContext http) => Results.Json(new Dictionary<string, object?>
        {
            ["client_id"] = Self(http), ["redirect_uris"] = new[] { UserConsentFlow.RedirectUri }, ["client_secret"] = "s3cret",
        }));
        app.MapGet("/clients/bad-redirect.json", (HttpContext http) => Results.Json(new Dictionary<string, object?>
        {
            ["client_id"] = Self(http), ["redirect_uris"] = new[] { "javascript:alert(1)" },
        }));
        app.MapGet("/clients/not-json.json", () => Results.Text("<html>not json</html>", "text/html"));
        return app;
    }
}
