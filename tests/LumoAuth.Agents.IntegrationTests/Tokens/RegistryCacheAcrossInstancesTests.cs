using System.Diagnostics;
using System.Net;
using LumoAuth.Agents.Agents;
using LumoAuth.Agents.IntegrationTests.Hosting;

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
}
