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

    [Test]
    public async Task A_copy_read_before_a_secret_rotation_elsewhere_never_writes_the_old_secret_back()
    {
        var settings = new Dictionary<string, string?> { ["Sample:Issuer"] = "http://lumo-cache.test/", ["LumoAgents:RegistryCacheDuration"] = "00:00:30" };
        await using var first = await SampleServer.StartAsync(DatabaseKind.PostgreSql, settings);
        await using var second = await SampleServer.StartAsync(DatabaseKind.PostgreSql, settings, dataDirectory: first.DataDirectory, connectionString: first.ConnectionString);
        var registered = await first.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "stale-copy-agent", DisplayName = "Stale", Owner = "ops", Capabilities = ["read:articles"], DefaultScopes = ["read:articles"],
            ClientSecret = AgentServerFixture.TestSecret,
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True);

        using var one = first.Http();
        using var two = second.Http();
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(two, "stale-copy-agent", AgentServerFixture.TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK),
            "the second instance keeps the application with the first secret (for 30 s here)");

        const string rotated = "rotated-secret-for-the-stale-copy-test-1";
        Assert.That(await first.WithServiceAsync<bool, IAgentClientRegistrar>(clients => clients.SetSecretAsync("stale-copy-agent", rotated, default).AsTask()), Is.True);

        // The second instance changes the same application from its kept copy: the copy is found stale, read again, and
        // the change applied to the current application, so the rotation survives.
        await second.WithServiceAsync<bool, IAgentClientRegistrar>(async clients =>
        {
            await clients.SetCapabilitiesAsync("stale-copy-agent", ["read:articles", "search:web"], default);
            return true;
        });

        foreach (var (name, http) in new[] { ("first", one), ("second", two) })
        {
            var old = await TokenEndpoint.ClientCredentialsAsync(http, "stale-copy-agent", AgentServerFixture.TestSecret);
            Assert.That(old["error"], Is.EqualTo("invalid_client"), $"{name}: the old secret stays refused: {old}");
        }

        Assert.That((await TokenEndpoint.ClientCredentialsAsync(two, "stale-copy-agent", rotated)).Status, Is.EqualTo(HttpStatusCode.OK));
        var permissions = await second.WithServiceAsync<System.Collections.Immutable.ImmutableArray<string>, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(
            async manager => await manager.GetPermissionsAsync((await manager.FindByClientIdAsync("stale-copy-agent"))!));
        Assert.That(permissions, Does.Contain("scp:search:web"), "and the capability change was applied");
    }

    [Test]
    public async Task A_kept_copy_can_be_updated_twice_and_deleted_in_one_request()
    {
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["LumoAgents:RegistryCacheDuration"] = "00:00:30" });
        const string client = "copy-write-client";
        await server.WithServiceAsync<object?, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(async manager =>
            await manager.CreateAsync(new global::OpenIddict.Abstractions.OpenIddictApplicationDescriptor { ClientId = client, ClientType = "public", DisplayName = "One" }));
        await server.WithServiceAsync<object?, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(async manager => await manager.FindByClientIdAsync(client)); // kept

        await server.WithServiceAsync<bool, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(async manager =>
        {
            var application = (await manager.FindByClientIdAsync(client))!; // a copy of the kept one
            Assert.That(await manager.FindByClientIdAsync(client), Is.SameAs(application), "one instance per request");
            await manager.UpdateAsync(application, new global::OpenIddict.Abstractions.OpenIddictApplicationDescriptor { ClientId = client, ClientType = "public", DisplayName = "Two" });
            await manager.UpdateAsync(application, new global::OpenIddict.Abstractions.OpenIddictApplicationDescriptor { ClientId = client, ClientType = "public", DisplayName = "Three" });
            Assert.That(await manager.GetDisplayNameAsync((await manager.FindByClientIdAsync(client))!), Is.EqualTo("Three"));
            await manager.DeleteAsync(application);
            return true;
        });

        Assert.That(await server.WithServiceAsync<object?, global::OpenIddict.Abstractions.IOpenIddictApplicationManager>(async manager => await manager.FindByClientIdAsync(client)),
            Is.Null, "deleted, and not kept");
    }
}
