using System.Net;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The sample's own host behaviour: its data folder keeps the signing keys and the database across a restart, and its
/// dev-only Kubernetes stand-in refuses to run outside Development.
/// </summary>
public class SampleServerBehaviourTests
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
    public async Task The_dev_Kubernetes_issuer_refuses_to_run_outside_Development()
    {
        var failure = await Assert.CatchAsync(async () => await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["environment"] = "Production",
            ["Sample:DevKubernetesIssuer"] = "true",
        }));
        Assert.That(failure!.ToString(), Does.Contain("Development environment only"));
    }
}
