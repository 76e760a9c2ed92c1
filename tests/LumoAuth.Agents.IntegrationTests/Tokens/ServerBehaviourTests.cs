using System.Net;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>Host-level behaviour: mandatory client authentication, audit and policy-store failures, start-up validation.</summary>
public class ServerBehaviourTests
{
    [Test]
    public async Task Exchange_requires_client_authentication_when_the_host_says_so()
    {
        await using var server = await LibraryServer.StartAsync(DatabaseKind.Sqlite,
            new Dictionary<string, string?> { ["LumoAgents:RequireClientAuthenticationForExchange"] = "true" });
        using var http = server.Http();
        var alice = await UserConsentFlow.UserTokenAsync(server, "research-bot", AgentServerFixture.ResearchBotSecret, "read:articles");
        var actor = (await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret)).AccessToken;

        var anonymous = await TokenEndpoint.PostAsync(http, TokenEndpoint.Exchange(alice, actor));
        Assert.That(anonymous["error"], Is.EqualTo("invalid_client"), anonymous.ToString());
        Assert.That(anonymous["error_code"], Is.EqualTo("client_authentication_required"));
        var records = await server.AuditAsync(new AuditQuery { ReasonCode = "client_authentication_required" });
        Assert.That(records, Has.Count.EqualTo(1));

        // A public client proves nothing: naming one does not satisfy the requirement.
        var publicAgent = await server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "public-bot", DisplayName = "Public Bot", Owner = "tests", Capabilities = ["read:articles"],
        }).AsTask());
        Assert.That(publicAgent.Succeeded, Is.True);
        var named = await TokenEndpoint.PostAsync(http, [.. TokenEndpoint.Exchange(alice, actor), ("client_id", "public-bot")]);
        Assert.That(named["error_code"], Is.EqualTo("client_authentication_required"), named.ToString());

        var authenticated = await TokenEndpoint.PostAsync(http, [.. TokenEndpoint.Exchange(alice, actor), ("client_id", "research-bot"), ("client_secret", AgentServerFixture.ResearchBotSecret)]);
        Assert.That(authenticated.Status, Is.EqualTo(HttpStatusCode.OK), authenticated.ToString());
    }

    [Test]
    public async Task Without_a_default_audience_a_client_credentials_request_is_told_what_works()
    {
        await using var server = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            Database = DatabaseKind.Sqlite,
            ConfigureServices = services => services.PostConfigure<LumoAgentsOptions>(options => options.DefaultAudience = null),
        });
        using var http = server.Http();

        var none = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret);
        Assert.That(none["error_code"], Is.EqualTo("audience_required"), none.ToString());
        Assert.That(none["error_description"], Does.Contain("LumoAgents:DefaultAudience").And.Not.Contain("with 'audience'"));

        // What the description rules out does not work: client credentials take no 'audience', and 'resource' takes
        // only an absolute URI, which an allowed tool never is.
        var audience = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret, audience: "search-tool");
        Assert.That(audience["error"], Is.EqualTo("invalid_request"), audience.ToString());
        var resource = await TokenEndpoint.PostAsync(http, [("grant_type", "client_credentials"), ("client_id", "research-bot"),
            ("client_secret", AgentServerFixture.ResearchBotSecret), ("resource", "search-tool")]);
        Assert.That(resource["error"], Is.EqualTo("invalid_request"), resource.ToString());

        // What it advises does.
        await using var configured = await LibraryServer.StartAsync(DatabaseKind.Sqlite);
        using var configuredHttp = configured.Http();
        var withDefault = await TokenEndpoint.ClientCredentialsAsync(configuredHttp, "research-bot", AgentServerFixture.ResearchBotSecret);
        Assert.That(withDefault.Status, Is.EqualTo(HttpStatusCode.OK), withDefault.ToString());
    }

    [Test]
    public async Task No_token_is_released_when_the_audit_record_cannot_be_written()
    {
        await using var server = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            ConfigureServices = services => services.Replace(ServiceDescriptor.Scoped<IAuditStore, FailingAuditStore>()),
        });
        using var http = server.Http();
        var response = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret);
        Assert.That(response["access_token"], Is.Null, response.ToString());
        Assert.That(response["error"], Is.EqualTo("server_error"));
        Assert.That(response["error_code"], Is.EqualTo("audit_unavailable"));
        Assert.That((int)response.Status, Is.EqualTo(500));
    }

    [Test]
    public async Task A_failing_policy_store_refuses_the_request_and_records_it()
    {
        await using var server = await LibraryServer.StartAsync(new LibraryServerOptions { Issuer = new Uri("http://lumo-policy.test/") });
        var alice = await UserConsentFlow.UserTokenAsync(server, "research-bot", AgentServerFixture.ResearchBotSecret, "read:articles");
        using var http = server.Http();
        var actor = (await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret)).AccessToken;

        await using var broken = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            SharedWith = server,
            ConfigureServices = services => services.Replace(ServiceDescriptor.Scoped<IConsentStore, FailingConsentStore>()),
        });
        using var brokenHttp = broken.Http();
        var response = await TokenEndpoint.PostAsync(brokenHttp, TokenEndpoint.Exchange(alice, actor));
        Assert.That(response["error"], Is.EqualTo("server_error"), response.ToString());
        Assert.That(response["error_code"], Is.EqualTo("policy_unavailable"));
        Assert.That(response["error_description"], Does.Not.Contain("consent database"), "no exception text leaks");
        Assert.That(response["access_token"], Is.Null);
        Assert.That(await broken.AuditAsync(new AuditQuery { ReasonCode = "policy_unavailable" }), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task The_host_refuses_to_start_with_invalid_agent_options()
    {
        var failure = await Assert.CatchAsync(async () => await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:MaxChainDepth"] = "0",
            ["LumoAgents:MaxAccessTokenLifetime"] = "05:00:00",
        }));
        var message = failure!.ToString();
        Assert.That(message, Does.Contain("LumoAgents:MaxChainDepth").And.Contain("LumoAgents:MaxAccessTokenLifetime"));
    }

    [Test]
    public async Task The_host_refuses_to_start_with_an_unsafe_workload_trust()
    {
        var failure = await Assert.CatchAsync(async () => await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["LumoAgents:Workload:Issuers:0:Name"] = "cluster",
            ["LumoAgents:Workload:Issuers:0:Platform"] = "Kubernetes",
            ["LumoAgents:Workload:Issuers:0:Issuer"] = "https://cluster.example",
            ["LumoAgents:Workload:Issuers:0:UseDiscovery"] = "true",
            ["LumoAgents:Workload:Issuers:0:Audiences:0"] = "https://kubernetes.default.svc",
            ["LumoAgents:Workload:Issuers:0:Algorithms:0"] = "HS256",
        }));
        Assert.That(failure!.ToString(), Does.Contain("LumoAgents:Workload:").And.Contain("kubernetes.default.svc").And.Contain("HS256"));
    }

    private sealed class FailingConsentStore : IConsentStore
    {
        public ValueTask<ConsentGrant> GrantAsync(string subject, string agentId, Scopes.ScopeSet scopes, DateTimeOffset now, CancellationToken cancellationToken) => throw Down();

        public ValueTask<ConsentGrant?> FindActiveAsync(string subject, string agentId, CancellationToken cancellationToken) => throw Down();

        public ValueTask<IReadOnlyList<ConsentGrant>> ListAsync(string subject, CancellationToken cancellationToken) => throw Down();

        public ValueTask<IReadOnlyList<ConsentGrant>> ListByAgentAsync(string agentId, int skip, int take, CancellationToken cancellationToken) => throw Down();

        public ValueTask<bool> WithdrawAsync(string subject, string agentId, DateTimeOffset now, CancellationToken cancellationToken) => throw Down();

        private static InvalidOperationException Down() => new("consent database unavailable");
    }

    private sealed class FailingAuditStore : IAuditStore
    {
        public ValueTask WriteAsync(AuditRecord record, CancellationToken cancellationToken) => throw new InvalidOperationException("audit database unavailable");

        public ValueTask<int> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken) => throw new InvalidOperationException("audit database unavailable");

        public ValueTask<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken) => throw new InvalidOperationException("audit database unavailable");
    }
}
