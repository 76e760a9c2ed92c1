using System.Diagnostics;
using System.Net;
using LumoAuth.Agents.IntegrationTests.Hosting;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// Two token-server instances over one real PostgreSQL database, each keeping agent profiles, consents and client
/// applications between requests (<c>LumoAgents:RegistryCacheDuration</c>). A change made on one instance takes effect
/// there at once and on the other within the cache duration; with the duration at zero, on both at once. A copy kept
/// before a change never writes the old values back.
/// </summary>
public class RegistryCacheAcrossInstancesTests
{
    [TestCase("00:00:02", 2.0)]
    [TestCase("00:00:00", 0.0)]
    public async Task A_suspension_reaches_the_other_instance_within_the_cache_duration(string duration, double seconds)
    {
        var (first, second) = await TwoInstancesAsync(duration);
        await using (first)
        await using (second)
        {
            await RegisterAndWarmAsync(first, second, "cached-agent");
            Assert.That(await first.WithServiceAsync<bool, IAgentRegistry>(registry => registry.SetStatusAsync("cached-agent", AgentStatus.Suspended).AsTask()), Is.True);
            var suspendedAt = Stopwatch.GetTimestamp();
            using var one = first.Http();
            var here = await TokenEndpoint.ClientCredentialsAsync(one, "cached-agent", AgentServerFixture.TestSecret);
            Assert.That(here["error_code"], Is.EqualTo("agent_suspended"), "the instance that made the change refuses at once");

            var (there, elapsed, accepted) = await UntilRefusedAsync(second, "cached-agent", AgentServerFixture.TestSecret, suspendedAt);
            TestContext.Out.WriteLine($"registry cache {duration}: the other instance refused the suspended agent after {elapsed.TotalMilliseconds:F0} ms ({accepted} tokens issued there meanwhile)");
            Assert.That(there["error_code"], Is.EqualTo("agent_suspended"), there.ToString());
            AssertWithin(elapsed, accepted, seconds);
        }
    }

    [TestCase("00:00:02", 2.0)]
    [TestCase("00:00:00", 0.0)]
    public async Task A_rotated_secret_is_refused_here_at_once_and_on_the_other_instance_within_the_cache_duration(string duration, double seconds)
    {
        var (first, second) = await TwoInstancesAsync(duration);
        await using (first)
        await using (second)
        {
            Assert.That(LumoAuth.Agents.OpenIddict.Clients.SharedApplicationSnapshots<OpenIddictEntityFrameworkCoreApplication>.Supported,
                Is.True, "OpenIddict's default application entity is kept across requests");
            await RegisterAndWarmAsync(first, second, "rotating-agent");

            const string rotated = "rotated-secret-for-the-cache-test-0001";
            Assert.That(await first.WithServiceAsync<bool, IAgentClientRegistrar>(clients => clients.SetSecretAsync("rotating-agent", rotated, default).AsTask()), Is.True);
            var rotatedAt = Stopwatch.GetTimestamp();
            using var one = first.Http();
            var old = await TokenEndpoint.ClientCredentialsAsync(one, "rotating-agent", AgentServerFixture.TestSecret);
            Assert.That(old["error"], Is.EqualTo("invalid_client"), "the instance that rotated the secret refuses the old one at once: " + old);
            Assert.That((await TokenEndpoint.ClientCredentialsAsync(one, "rotating-agent", rotated)).Status, Is.EqualTo(HttpStatusCode.OK));

            var (there, elapsed, accepted) = await UntilRefusedAsync(second, "rotating-agent", AgentServerFixture.TestSecret, rotatedAt);
            TestContext.Out.WriteLine($"registry cache {duration}: the other instance refused the old secret after {elapsed.TotalMilliseconds:F0} ms ({accepted} requests accepted there meanwhile)");
            Assert.That(there["error"], Is.EqualTo("invalid_client"), there.ToString());
            AssertWithin(elapsed, accepted, seconds);
            using var two = second.Http();
            Assert.That((await TokenEndpoint.ClientCredentialsAsync(two, "rotating-agent", rotated)).Status, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    [Test]
    public async Task A_copy_read_before_a_secret_rotation_elsewhere_never_writes_the_old_secret_back()
    {
        var (first, second) = await TwoInstancesAsync("00:00:30");
        await using (first)
        await using (second)
        {
            await RegisterAndWarmAsync(first, second, "stale-copy-agent"); // the second instance keeps the first secret (30 s here)
            const string rotated = "rotated-secret-for-the-stale-copy-test-1";
            Assert.That(await first.WithServiceAsync<bool, IAgentClientRegistrar>(clients => clients.SetSecretAsync("stale-copy-agent", rotated, default).AsTask()), Is.True);

            // The second instance changes the same application from its kept copy: the copy is found stale, read again,
            // and the change applied to the current application, so the rotation survives.
            await second.WithServiceAsync<bool, IAgentClientRegistrar>(async clients =>
            {
                await clients.SetCapabilitiesAsync("stale-copy-agent", ["read:articles", "search:web"], default);
                return true;
            });

            foreach (var server in new[] { first, second })
            {
                using var http = server.Http();
                var old = await TokenEndpoint.ClientCredentialsAsync(http, "stale-copy-agent", AgentServerFixture.TestSecret);
                Assert.That(old["error"], Is.EqualTo("invalid_client"), $"{server.BaseAddress}: the old secret stays refused: {old}");
                Assert.That((await TokenEndpoint.ClientCredentialsAsync(http, "stale-copy-agent", rotated)).Status, Is.EqualTo(HttpStatusCode.OK));
            }

            var permissions = await second.WithServiceAsync<System.Collections.Immutable.ImmutableArray<string>, IOpenIddictApplicationManager>(
                async manager => await manager.GetPermissionsAsync((await manager.FindByClientIdAsync("stale-copy-agent"))!));
            Assert.That(permissions, Does.Contain("scp:search:web"), "and the capability change was applied");
        }
    }

    [Test]
    public async Task A_kept_copy_can_be_updated_twice_and_deleted_in_one_request()
    {
        await using var server = await LibraryServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["LumoAgents:RegistryCacheDuration"] = "00:00:30" });
        const string client = "copy-write-client";
        OpenIddictApplicationDescriptor Named(string name) => new() { ClientId = client, ClientType = OpenIddictConstants.ClientTypes.Public, DisplayName = name };
        await server.WithServiceAsync<object?, IOpenIddictApplicationManager>(async manager => await manager.CreateAsync(Named("One")));
        await server.WithServiceAsync<object?, IOpenIddictApplicationManager>(async manager => await manager.FindByClientIdAsync(client)); // now kept

        await server.WithServiceAsync<bool, IOpenIddictApplicationManager>(async manager =>
        {
            var application = (await manager.FindByClientIdAsync(client))!; // a copy of the kept one
            Assert.That(await manager.FindByClientIdAsync(client), Is.SameAs(application), "one instance per request");
            await manager.UpdateAsync(application, Named("Two"));
            await manager.UpdateAsync(application, Named("Three"));
            Assert.That(await manager.GetDisplayNameAsync((await manager.FindByClientIdAsync(client))!), Is.EqualTo("Three"));
            await manager.DeleteAsync(application);
            return true;
        });

        Assert.That(await server.WithServiceAsync<object?, IOpenIddictApplicationManager>(async manager => await manager.FindByClientIdAsync(client)),
            Is.Null, "deleted, and not kept");
    }

    private static async Task<(LibraryServer First, LibraryServer Second)> TwoInstancesAsync(string duration)
    {
        var settings = new Dictionary<string, string?> { ["LumoAgents:RegistryCacheDuration"] = duration };
        var first = await LibraryServer.StartAsync(new LibraryServerOptions { Database = DatabaseKind.PostgreSql, Settings = settings, Issuer = new Uri("http://lumo-cache.test/") });
        return (first, await LibraryServer.StartAsync(new LibraryServerOptions { SharedWith = first, Settings = settings }));
    }

    /// <summary>Registers an agent on the first instance and gets a token from each, so both now keep its profile and client.</summary>
    private static async Task RegisterAndWarmAsync(LibraryServer first, LibraryServer second, string id)
    {
        var registered = await first.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = id, DisplayName = id, Owner = "ops", Capabilities = ["read:articles"], DefaultScopes = ["read:articles"], ClientSecret = AgentServerFixture.TestSecret,
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True);
        foreach (var server in new[] { first, second })
        {
            using var http = server.Http();
            Assert.That((await TokenEndpoint.ClientCredentialsAsync(http, id, AgentServerFixture.TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    /// <summary>Asks <paramref name="server"/> for a token every 50 ms until it refuses, for at most 10 seconds.</summary>
    private static async Task<(TokenResponse Last, TimeSpan Elapsed, int Accepted)> UntilRefusedAsync(LibraryServer server, string clientId, string secret, long since)
    {
        using var http = server.Http();
        var accepted = 0;
        while (true)
        {
            var response = await TokenEndpoint.ClientCredentialsAsync(http, clientId, secret);
            if (response.Status != HttpStatusCode.OK || Stopwatch.GetElapsedTime(since) > TimeSpan.FromSeconds(10))
            {
                return (response, Stopwatch.GetElapsedTime(since), accepted);
            }

            accepted++;
            await Task.Delay(50);
        }
    }

    /// <summary>Refused within the duration (with room for a busy machine); at zero, the first request after the change.</summary>
    private static void AssertWithin(TimeSpan elapsed, int accepted, double seconds)
    {
        Assert.That(elapsed, Is.LessThan(TimeSpan.FromSeconds(seconds + 1.5)));
        if (seconds == 0)
        {
            Assert.That(accepted, Is.Zero, "without the cache the other instance refuses the first request after the change");
        }
    }
}
