using System.Diagnostics;
using System.Net;
using LumoAuth.Agents.Agents;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.EntityFrameworkCore.Models;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// Two sample-server instances over one real PostgreSQL database, each keeping agent profiles between requests
/// (<c>LumoAgents:RegistryCacheDuration</c>). A suspension made on one instance refuses the agent there at once and on
/// the other within the cache duration; with the duration at zero, on both at once.
/// </summary>
public class RegistryCacheAcrossInstancesTests
{
    [TestCase("00:00:02", 2.0)]
    [TestCase("00:00:00", 0.0)]
    public async Task A_suspension_reaches_the_other_instance_within_the_cache_duration(string duration, double seconds)
    {
        var settings = new Dictionary<string, string?> { ["Sample:Issuer"] = "http://lumo-cache.test/", ["LumoAgents:RegistryCacheDuration"] = duration };
        await using var first = await SampleServer.StartAsync(DatabaseKind.PostgreSql, settings);
        await using var second = await SampleServer.StartAsync(DatabaseKind.PostgreSql, settings, dataDirectory: first.DataDirectory, connectionString: first.ConnectionString);
        var registered = await first.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "cached-agent", DisplayName = "Cached", Owner = "ops", Capabilities = ["read:articles"], DefaultScopes = ["read:articles"],
            ClientSecret = AgentServerFixture.TestSecret,
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True);

        using var one = first.Http();
        using var two = second.Http();
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(one, "cached-agent", AgentServerFixture.TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(two, "cached-agent", AgentServerFixture.TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK),
            "the second instance now holds the active profile");

        Assert.That(await first.WithServiceAsync<bool, IAgentRegistry>(registry => registry.SetStatusAsync("cached-agent", AgentStatus.Suspended).AsTask()), Is.True);
        var suspendedAt = Stopwatch.GetTimestamp();
        var here = await TokenEndpoint.ClientCredentialsAsync(one, "cached-agent", AgentServerFixture.TestSecret);
        Assert.That(here.Body["error_code"]?.GetValue<string>(), Is.EqualTo("agent_suspended"), "the instance that made the change refuses at once");

        // The other instance: ask until it refuses, with a deadline well past the duration.
        var limit = TimeSpan.FromSeconds(seconds + 1.5);
        TokenResponse there;
        var issuedAfter = 0;
        while (true)
        {
            there = await TokenEndpoint.ClientCredentialsAsync(two, "cached-agent", AgentServerFixture.TestSecret);
            if (there.Status != HttpStatusCode.OK || Stopwatch.GetElapsedTime(suspendedAt) > TimeSpan.FromSeconds(10))
            {
                break;
            }

            issuedAfter++;
            await Task.Delay(50);
        }

        var elapsed = Stopwatch.GetElapsedTime(suspendedAt);
        TestContext.Out.WriteLine($"registry cache {duration}: the other instance refused the suspended agent after {elapsed.TotalMilliseconds:F0} ms ({issuedAfter} tokens issued there meanwhile)");
        Assert.That(there.Body["error_code"]?.GetValue<string>(), Is.EqualTo("agent_suspended"), there.ToString());
        Assert.That(elapsed, Is.LessThan(limit));
        if (seconds == 0)
        {
            Assert.That(issuedAfter, Is.Zero, "without the cache the other instance refuses the first request after the change");
        }
    }

    [TestCase("00:00:02", 2.0)]
    [TestCase("00:00:00", 0.0)]
    public async Task A_rotated_secret_is_refused_here_at_once_and_on_the_other_instance_within_the_cache_duration(string duration, double seconds)
    {
        var settings = new Dictionary<string, string?> { ["Sample:Issuer"] = "http://lumo-cache.test/", ["LumoAgents:RegistryCacheDuration"] = duration };
        await using var first = await SampleServer.StartAsync(DatabaseKind.PostgreSql, settings);
        await using var second = await SampleServer.StartAsync(DatabaseKind.PostgreSql, settings, dataDirectory: first.DataDirectory, connectionString: first.ConnectionString);
        Assert.That(first.Services.GetRequiredService<LumoAuth.Agents.OpenIddict.Clients.SharedApplicationSnapshots<OpenIddictEntityFrameworkCoreApplication>>().Supported,
            Is.True, "the sample's application entity is kept across requests");
        var registered = await first.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "rotating-agent", DisplayName = "Rotating", Owner = "ops", Capabilities = ["read:articles"], DefaultScopes = ["read:articles"],
            ClientSecret = AgentServerFixture.TestSecret,
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True);

        using var one = first.Http();
        using var two = second.Http();
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(one, "rotating-agent", AgentServerFixture.TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(two, "rotating-agent", AgentServerFixture.TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK));

        const string rotated = "rotated-secret-for-the-cache-test-0001";
        Assert.That(await first.WithServiceAsync<bool, IAgentClientRegistrar>(clients => clients.SetSecretAsync("rotating-agent", rotated, default).AsTask()), Is.True);
        var rotatedAt = Stopwatch.GetTimestamp();
        var old = await TokenEndpoint.ClientCredentialsAsync(one, "rotating-agent", AgentServerFixture.TestSecret);
        Assert.That(old["error"], Is.EqualTo("invalid_client"), "the instance that rotated the secret refuses the old one at once: " + old);
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(one, "rotating-agent", rotated)).Status, Is.EqualTo(HttpStatusCode.OK));

        TokenResponse there;
        var acceptedAfter = 0;
        while (true)
        {
            there = await TokenEndpoint.ClientCredentialsAsync(two, "rotating-agent", AgentServerFixture.TestSecret);
            if (there.Status != HttpStatusCode.OK || Stopwatch.GetElapsedTime(rotatedAt) > TimeSpan.FromSeconds(10))
            {
                break;
            }

            acceptedAfter++;
            await Task.Delay(50);
        }

        var elapsed = Stopwatch.GetElapsedTime(rotatedAt);
        TestContext.Out.WriteLine($"registry cache {duration}: the other instance refused the old secret after {elapsed.TotalMilliseconds:F0} ms ({acceptedAfter} requests accepted there meanwhile)");
        Assert.That(there["error"], Is.EqualTo("invalid_client"), there.ToString());
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(seconds + 1.5)));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(two, "rotating-agent", rotated)).Status, Is.EqualTo(HttpStatusCode.OK));
        if (seconds == 0)
        {
            Assert.That(acceptedAfter, Is.Zero);
        }
    }
}
