using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Client.AAuth;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.Digests;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.AAuth;

/// <summary>
/// The library's test host with AAuth: research-bot with an ed25519 key enrolled here, a test resource ("test-api")
/// whose resource tokens the tests mint with their own P-256 key, search-tool registered as a resource too (so
/// research-bot can call it and search-tool can exchange onward), and the host's co-hosted articles resource.
/// </summary>
public abstract class AAuthFixture(DatabaseKind database)
{
    public const string SeedPath = "/t/acme-corp/api/v1/aauth/agent/token";
    public static readonly Uri TestApi = new("https://test-api.example/");
    public static readonly Uri SearchToolResource = new("https://agents.acme-corp.example/search-tool");

    protected DatabaseKind Database { get; } = database;

    protected LibraryServer Server { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected Ed25519SignatureKey ResearchBotKey { get; } = Ed25519SignatureKey.Generate();

    protected Ed25519SignatureKey SearchToolKey { get; } = Ed25519SignatureKey.Generate();

    protected EcdsaSignatureKey OtherAgentKey { get; } = EcdsaSignatureKey.Generate();

    protected RsaSignatureKey OtherAgentSecondKey { get; } = RsaSignatureKey.Generate(RsaSignatureKey.PssSha512);

    protected ECDsaSecurityKey ResourceKey { get; } = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "test-api-1" };

    protected ECDsaSecurityKey SearchToolResourceKey { get; } = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "search-tool-1" };

    /// <summary>A trusted agent provider's key; it vouches for "provider-agent-7", which is aauth-other here.</summary>
    protected ECDsaSecurityKey ProviderKey { get; } = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "provider-1" };

    public static readonly Uri Provider = new("https://agents.provider.example/");

    protected string Issuer => Server.BaseAddress.AbsoluteUri;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Server = await LibraryServer.StartAsync(new LibraryServerOptions { Database = Database, ConfigureServices = ConfigureResources });
        Client = Server.Http();
        await UpdateAgentAsync("research-bot", r =>
        {
            r.AllowedTools = [.. r.AllowedTools, "test-api"];
            r.SigningKeys = [ResearchBotKey.ToPublicJwk().ToJsonString()];
        });
        await UpdateAgentAsync("search-tool", r =>
        {
            r.AllowedTools = ["test-api"];
            r.SigningKeys = [SearchToolKey.ToPublicJwk().ToJsonString()];
        });
        await RegisterAsync("aauth-other", ["read:articles", "search:web"], ["test-api"], OtherAgentKey, extraKeys: OtherAgentSecondKey);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Client?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        ResearchBotKey.Dispose();
        SearchToolKey.Dispose();
        OtherAgentKey.Dispose();
        OtherAgentSecondKey.Dispose();
    }

    /// <summary>Adds the test resources to a server's AAuth options.</summary>
    protected void ConfigureResources(IServiceCollection services) => services.Configure<AAuthOptions>(options =>
    {
        options.Resources.Add(Resource("test-api", TestApi, ResourceKey));
        options.Resources.Add(Resource("search-tool", SearchToolResource, SearchToolResourceKey));
        var provider = new AAuthAgentProvider { Issuer = Provider };
        provider.SigningKeys.Add(Resource("provider", Provider, ProviderKey).SigningKeys[0]);
        provider.Agents["provider-agent-7"] = "aauth-other";
        options.AgentProviders.Add(provider);
    });

    /// <summary>An agent token as the trusted provider would mint it, vouching for <paramref name="key"/>.</summary>
    protected string ProviderAgentToken(string subject, HttpSignatureKey key, string? audience = null, ECDsaSecurityKey? signer = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "agent+jwt",
            Issuer = Provider.AbsoluteUri,
            Audience = audience ?? Issuer,
            Expires = DateTime.UtcNow.AddMinutes(30),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["cnf"] = System.Text.Json.JsonDocument.Parse(new JsonObject { ["jwk"] = key.ToPublicJwk() }.ToJsonString()).RootElement.Clone(),
            },
            SigningCredentials = new SigningCredentials(signer ?? ProviderKey, SecurityAlgorithms.EcdsaSha256),
        });

    private static AAuthResource Resource(string id, Uri identifier, ECDsaSecurityKey key)
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
        var resource = new AAuthResource { Id = id, Identifier = identifier };
        resource.SigningKeys.Add(new JsonObject { ["kty"] = jwk.Kty, ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y, ["kid"] = jwk.Kid }.ToJsonString());
        return resource;
    }

    protected async Task UpdateAgentAsync(string id, Action<AgentRegistration> change)
    {
        var result = await Server.WithServiceAsync<AgentUpdateResult, IAgentRegistry>(async registry =>
        {
            var current = (await registry.FindAsync(id))!;
            var registration = new AgentRegistration
            {
                Id = current.Id,
                DisplayName = current.DisplayName,
                Owner = current.Owner,
                Capabilities = [.. current.Capabilities],
                DefaultScopes = [.. current.DefaultScopes],
                AllowedTools = [.. current.AllowedTools],
                CanActForUsers = current.Delegation.CanActForUsers,
                MaxChainDepth = current.Delegation.MaxChainDepth,
                AccessTokenLifetime = current.AccessTokenLifetime,
                Budget = current.Budget,
                SigningKeys = [.. current.SigningKeys],
            };
            change(registration);
            return await registry.UpdateAsync(registration, current.Version);
        });
        Assert.That(result.Agent, Is.Not.Null, string.Join("; ", result.Errors));
    }

    protected async Task RegisterAsync(string id, string[] capabilities, string[] tools, HttpSignatureKey key, AgentStatus status = AgentStatus.Active, BudgetPolicy? budget = null,
        params HttpSignatureKey[] extraKeys)
    {
        var result = await Server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = id,
            DisplayName = id,
            Owner = "tests",
            Capabilities = capabilities,
            DefaultScopes = [capabilities[0]],
            AllowedTools = tools,
            SigningKeys = [key.ToPublicJwk()!.ToJsonString(), .. extraKeys.Select(k => k.ToPublicJwk()!.ToJsonString())],
            Status = status,
            Budget = budget ?? new BudgetPolicy(),
        }).AsTask());
        Assert.That(result.Succeeded, Is.True, string.Join("; ", result.Errors));
    }

    /// <summary>A resource token as a resource would mint it.</summary>
    protected string ResourceToken(string agentSubject, string thumbprint, string scope = "read:articles", Uri? resource = null, ECDsaSecurityKey? key = null,
        TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null, string type = "resource+jwt", string? audience = null)
    {
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = (resource ?? TestApi).AbsoluteUri,
            Audience = audience ?? Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(5))).UtcDateTime,
            Claims = new Dictionary<string, object> { ["jti"] = Guid.NewGuid().ToString("N"), ["agent"] = agentSubject, ["agent_jkt"] = thumbprint, ["scope"] = scope },
            SigningCredentials = new SigningCredentials(key ?? ResourceKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>How a test shapes a signed request.</summary>
    protected sealed record Signing
    {
        public string[]? Components { get; init; }
        public SignatureParameters? Parameters { get; init; }
        public SignatureCarrier Carrier { get; init; } = SignatureCarrier.SignatureHeaders;
        public bool InlineKey { get; init; }
        public Action<HttpRequestMessage>? After { get; init; }
    }

    /// <summary>Builds and signs a POST of <paramref name="body"/> to the AAuth endpoint (or <paramref name="uri"/>).</summary>
    protected static async Task<HttpRequestMessage> SignedAsync(HttpMethod method, Uri uri, JsonObject? body, HttpSignatureKey key, string? agentToken, Signing? signing = null, string? authorization = null)
    {
        signing ??= new Signing();
        var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content.Headers.TryAddWithoutValidation(ContentDigest.HeaderName, ContentDigest.Create(bytes));
        }

        if (authorization is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("AAuth", authorization);
        }

        var keyMember = signing.InlineKey || agentToken is null ? ConveyedKey.ForInlineKey("sig", key.ToPublicJwk()!) : ConveyedKey.ForJwt("sig", agentToken);
        if (signing.Carrier == SignatureCarrier.SignatureHeaders)
        {
            request.Headers.TryAddWithoutValidation("Signature-Key", keyMember);
        }

        var components = signing.Components ?? [.. new[] { "@method", "@target-uri" },
            .. body is null ? Array.Empty<string>() : ["content-digest", "content-type"],
            .. authorization is null ? Array.Empty<string>() : ["authorization"],
            .. signing.Carrier == SignatureCarrier.SignatureHeaders || agentToken is not null ? ["signature-key"] : Array.Empty<string>()];
        var parameters = signing.Parameters ?? new SignatureParameters
        {
            Created = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            Nonce = Guid.NewGuid().ToString("N"),
            KeyId = key.Thumbprint,
        };
        var message = AAuthRequestSigner.ToMessage(request);
        if (signing.Carrier == SignatureCarrier.AgentAuth && agentToken is not null)
        {
            message = message with { Headers = [.. message.Headers, new("Signature-Key", keyMember)] };
        }

        var signature = HttpMessageSigner.Sign(message, "sig", components, parameters, key);
        if (signing.Carrier == SignatureCarrier.SignatureHeaders)
        {
            request.Headers.TryAddWithoutValidation("Signature-Input", signature.SignatureInput);
            request.Headers.TryAddWithoutValidation("Signature", signature.Signature);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(AgentAuthField.HeaderName, AgentAuthField.Create(signature, agentToken));
        }

        signing.After?.Invoke(request);
        return request;
    }

    protected Uri Endpoint => new(Server.BaseAddress, SeedPath.TrimStart('/'));

    protected async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            var response = await Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length == 0 ? new JsonObject() : (JsonNode.Parse(text) as JsonObject ?? new JsonObject()), response);
        }
    }

    protected async Task<JsonObject> OkAsync(HttpRequestMessage request)
    {
        var (status, body, _) = await SendAsync(request);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToJsonString());
        return body;
    }

    /// <summary>An agent token for <paramref name="agentId"/> signed with <paramref name="key"/> (inline key).</summary>
    protected async Task<string> AgentTokenAsync(string agentId, HttpSignatureKey key) =>
        (await OkAsync(await SignedAsync(HttpMethod.Post, Endpoint, new JsonObject { ["request_type"] = "agent", ["agent_id"] = agentId }, key, null)))["agent_token"]!.GetValue<string>();

    protected static JsonObject AuthBody(string agentToken, string resourceToken, string? scope = "read:articles") => new()
    {
        ["request_type"] = "auth",
        ["agent_token"] = agentToken,
        ["resource_token"] = resourceToken,
        ["scope"] = scope,
    };

    /// <summary>Asserts a refusal: status, OAuth error, stable code, description, and its audit record.</summary>
    protected async Task AssertRefusedAsync(HttpRequestMessage request, int status, string error, string code, string? signatureError = null)
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-2);
        var (actual, body, response) = await SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That((int)actual, Is.EqualTo(status), body.ToJsonString());
            Assert.That((string?)body["error"], Is.EqualTo(error), body.ToJsonString());
            Assert.That((string?)body["error_code"], Is.EqualTo(code), body.ToJsonString());
            Assert.That((string?)body["error_description"], Is.Not.Null.And.Not.Empty);
            Assert.That(body["auth_token"], Is.Null);
            Assert.That(body["agent_token"], Is.Null);
            Assert.That((string?)body["error_uri"], Does.EndWith("/errors#" + code), "the documented code, linked");
            if (status == 401)
            {
                Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("AAuth error="), "RFC 9110: a 401 names its scheme");
            }

            if (signatureError is not null)
            {
                Assert.That(response.Headers.TryGetValues("Signature-Error", out var values) ? string.Join(",", values) : null, Does.StartWith("error=" + signatureError), body.ToJsonString());
            }
        });
        var records = await Server.AuditAsync(new AuditQuery { ReasonCode = code, Outcome = AuditOutcome.Refused, From = since });
        Assert.That(records.Any(r => r.Description == (string?)body["error_description"] && r.GrantType.StartsWith("aauth", StringComparison.Ordinal)), Is.True, $"no audit record for {code}: {body.ToJsonString()}");
    }
}
