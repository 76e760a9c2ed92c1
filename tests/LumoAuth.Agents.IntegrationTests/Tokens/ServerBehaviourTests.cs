using System.Net;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>Host-level behaviour: restarts, mandatory client authentication, audit failures, start-up validation.</summary>
public class ServerBehaviourTests
{
    [Test]
    public async Task Tokens_survive_a_restart_of_the_server()
    {
        string dataDirectory, connectionString, aliceToken, actorToken;
        var issuer = new Dictionary<string, string?> { ["Sample:Issuer"] = "http://lumo-restart.test/" };
        await using (var first = await SampleServer.StartAsync(DatabaseKind.Sqlite, issuer))
        {
            dataDirectory = first.DataDirectory;
            connectionString = first.ConnectionString;
            aliceToken = await UserConsentFlow.UserTokenAsync(first, "research-bot", SampleAgentServerFixture.ResearchBotSecret, "read:articles");
            using var client = first.Http();
            actorToken = (await TokenEndpoint.ClientCredentialsAsync(client, "research-bot", SampleAgentServerFixture.ResearchBotSecret)).AccessToken;
        }

        await using var second = await SampleServer.StartAsync(DatabaseKind.Sqlite, dataDirectory: dataDirectory, connectionString: connectionString,
            settings: issuer);
        using var http = second.Http();

        var response = await TokenEndpoint.PostAsync(http, TokenEndpoint.Exchange(aliceToken, actorToken));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["sub"], Is.EqualTo("user:alice"));
        var jwks = await http.GetStringAsync(new Uri("/.well-known/jwks", UriKind.Relative));
        Assert.That(jwks, Does.Contain((string)TokenEndpoint.Header(actorToken)["kid"]!), "the signing key is the same after the restart");
    }

    [Test]
    public async Task Exchange_requires_client_authentication_when_the_host_says_so()
    {
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite,
            new Dictionary<string, string?> { ["LumoAgents:RequireClientAuthenticationForExchange"] = "true" });
        using var http = server.Http();
        var alice = await UserConsentFlow.UserTokenAsync(server, "research-bot", SampleAgentServerFixture.ResearchBotSecret, "read:articles");
        var actor = (await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", SampleAgentServerFixture.ResearchBotSecret)).AccessToken;

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

        var authenticated = await TokenEndpoint.PostAsync(http, [.. TokenEndpoint.Exchange(alice, actor), ("client_id", "research-bot"), ("client_secret", SampleAgentServerFixture.ResearchBotSecret)]);
        Assert.That(authenticated.Status, Is.EqualTo(HttpStatusCode.OK), authenticated.ToString());
    }

    [Test]
    public async Task No_token_is_released_when_the_audit_record_cannot_be_written()
    {
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite,
            configureServices: services => services.Replace(ServiceDescriptor.Scoped<IAuditStore, FailingAuditStore>()));
        using var http = server.Http();
        var response = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", SampleAgentServerFixture.ResearchBotSecret);
        Assert.That(response["access_token"], Is.Null, response.ToString());
        Assert.That(response["error"], Is.EqualTo("server_error"));
        Assert.That(response["error_code"], Is.EqualTo("audit_unavailable"));
        Assert.That((int)response.Status, Is.EqualTo(500));
    }

    [Test]
    public async Task A_failing_policy_store_refuses_the_request_and_records_it()
    {
        var issuer = new Dictionary<string, string?> { ["Sample:Issuer"] = "http://lumo-policy.test/" };
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite, issuer);
        var alice = await UserConsentFlow.UserTokenAsync(server, "research-bot", SampleAgentServerFixture.ResearchBotSecret, "read:articles");
        using var http = server.Http();
        var actor = (await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", SampleAgentServerFixture.ResearchBotSecret)).AccessToken;

        await using var broken = await SampleServer.StartAsync(DatabaseKind.Sqlite, issuer, server.DataDirectory, server.ConnectionString,
            configureServices: services => services.Replace(ServiceDescriptor.Scoped<IConsentStore, FailingConsentStore>()));
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
        var failure = await Assert.CatchAsync(async () => await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
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
        var failure = await Assert.CatchAsync(async () => await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
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

    [Test]
    public async Task The_dev_Kubernetes_issuer_refuses_to_run_outside_Development()
    {
        var failure = await Assert.CatchAsync(async () => await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["Sample:DevKubernetesIssuer"] = "true",
        }));
        Assert.That(failure!.ToString(), Does.Contain("Development environment only"));
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
