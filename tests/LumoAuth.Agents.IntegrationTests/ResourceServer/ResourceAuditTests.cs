using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.ResourceServer;

/// <summary>
/// An API that shares the token server's store (here the in-memory one, with a pinned key standing in for the token
/// server's): every refusal it makes — bad token, missing capability, spent budget — is in the audit trail before the
/// response, with its stable code; a served call is not.
/// </summary>
public sealed class ResourceAuditTests
{
    private const string Issuer = "https://auth.acme-corp.example/";
    private readonly ECDsaSecurityKey _key = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "server-1" };
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddLumoAgents().UseInMemoryStores();
        builder.Services.AddLumoAgentsResourceServer(o =>
        {
            o.Issuer = new Uri(Issuer);
            o.Audiences.Add("acme-corp-api");
            o.SigningKeys.Add(_key);
        }).AddApiCallMetering();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.UseLumoAgentsMetering();
        _app.MapGet("/articles", () => "ok").RequireAuthorization(p => p.RequireAgentCapabilities("read:articles"));
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First() + "/") };
        // The API reads agents from the shared store; the token server registered this one there.
        await _app.Services.GetRequiredService<IAgentStore>().CreateAsync(new AgentProfile
        {
            Id = "audit-bot", DisplayName = "Audit Bot", Owner = "tests", Capabilities = LumoAuth.Agents.Scopes.ScopeSet.Parse("read:articles search:web"),
            Budget = new BudgetPolicy { MaxApiCallsPerHour = 1 },
        }, default);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        await _app.DisposeAsync();
    }

    [Test]
    public async Task Each_refusal_is_audited_with_its_code_and_a_served_call_is_not()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        Assert.That(await SendAsync("not.a-token.at-all"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await SendAsync(Token("search:web")), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await SendAsync(Token("read:articles")), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await SendAsync(Token("read:articles")), Is.EqualTo(HttpStatusCode.TooManyRequests));

        var records = await _app.Services.GetRequiredService<IAuditStore>().QueryAsync(new AuditQuery { From = since, Outcome = AuditOutcome.Refused }, default);
        var codes = records.Select(r => r.ReasonCode).ToList();
        Assert.That(codes, Is.EquivalentTo(new[] { "access_token_invalid", "insufficient_scope", "budget_exhausted" }));
        var forbidden = records.Single(r => r.ReasonCode == "insufficient_scope");
        Assert.Multiple(() =>
        {
            Assert.That(forbidden.AgentId, Is.EqualTo("audit-bot"));
            Assert.That(forbidden.GrantType, Is.EqualTo("resource:GET /articles"));
            Assert.That(forbidden.Description, Does.Contain("the capability 'read:articles'"));
            Assert.That(records.Single(r => r.ReasonCode == "access_token_invalid").Error, Is.EqualTo("invalid_token"));
        });
    }

    private async Task<HttpStatusCode> SendAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "articles");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    private string Token(string scope) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        TokenType = "at+jwt",
        Issuer = Issuer,
        Audience = "acme-corp-api",
        Expires = DateTime.UtcNow.AddMinutes(5),
        Claims = new Dictionary<string, object> { ["sub"] = "agent:audit-bot", ["client_id"] = "audit-bot", ["scope"] = scope },
        SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.EcdsaSha256),
    });
}
