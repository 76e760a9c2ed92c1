using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Tests.Workload;

public class WorkloadKeyCacheTests
{
    private static readonly WorkloadIssuer Issuer = new() { Name = "k8s", Issuer = "https://k8s.example", UseDiscovery = true, Audiences = ["a"] };

    private sealed class CountingFetcher : IWorkloadKeyFetcher
    {
        public int Calls;
        public bool Down;
        public WorkloadIssuer? LastIssuer;
        public JsonWebKeySet Keys { get; set; } = Set("key-1");

        public async Task<JsonWebKeySet> FetchAsync(WorkloadIssuer issuer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            LastIssuer = issuer;
            await Task.Yield();
            return Down ? throw new WorkloadKeyFetchException("down") : Keys;
        }
    }

    private static JsonWebKeySet Set(params string[] kids) => new(JsonSerializer.Serialize(new
    {
        keys = kids.Select(kid =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(RSA.Create(2048).ExportParameters(false)));
            return new { kty = "RSA", kid, n = jwk.N, e = jwk.E };
        }),
    }));

    private static (WorkloadKeyCache Cache, CountingFetcher Fetcher, FakeTimeProvider Time) Create()
    {
        var fetcher = new CountingFetcher();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        return (new WorkloadKeyCache(fetcher, new StaticOptions<WorkloadOptions>(new WorkloadOptions()), time, NullLogger<WorkloadKeyCache>.Instance), fetcher, time);
    }

    [Test]
    public async Task A_hundred_concurrent_unknown_kids_cause_one_fetch()
    {
        var (cache, fetcher, _) = Create();
        var keys = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => cache.FindAsync(Issuer, "random-" + i, default).AsTask()));
        Assert.That(keys, Is.All.Null);
        Assert.That(fetcher.Calls, Is.EqualTo(1));
        Assert.That(cache.FetchCount("k8s"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_refresh_uses_the_issuer_as_configured_now()
    {
        var (cache, fetcher, time) = Create();
        await cache.FindAsync(Issuer, "key-1", default);
        var moved = new WorkloadIssuer { Name = "k8s", Issuer = "https://k8s.example", JwksUri = new Uri("https://keys.k8s.example/jwks"), Audiences = ["a"] };
        time.Advance(TimeSpan.FromMinutes(1));
        await cache.FindAsync(moved, "key-2", default); // unknown kid: a refresh, with the reloaded settings
        Assert.That(fetcher.Calls, Is.EqualTo(2));
        Assert.That(fetcher.LastIssuer, Is.SameAs(moved));
    }

    [Test]
    public async Task Known_keys_are_served_from_the_cache()
    {
        var (cache, fetcher, _) = Create();
        for (var i = 0; i < 10; i++)
        {
            Assert.That(await cache.FindAsync(Issuer, "key-1", default), Is.Not.Null);
        }

        Assert.That(fetcher.Calls, Is.EqualTo(1));
    }

    [Test]
    public async Task An_unknown_kid_refreshes_once_per_throttle_window()
    {
        var (cache, fetcher, time) = Create();
        await cache.FindAsync(Issuer, "key-1", default);
        fetcher.Keys = Set("key-1", "key-2");
        Assert.That(await cache.FindAsync(Issuer, "key-2", default), Is.Null, "throttled");
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(await cache.FindAsync(Issuer, "key-2", default), Is.Not.Null);
        Assert.That(fetcher.Calls, Is.EqualTo(2));
    }

    [Test]
    public async Task Last_good_keys_serve_for_the_window_then_the_issuer_fails_closed()
    {
        var (cache, fetcher, time) = Create();
        await cache.FindAsync(Issuer, "key-1", default);
        fetcher.Down = true;
        time.Advance(TimeSpan.FromHours(23));
        Assert.That(await cache.FindAsync(Issuer, "key-1", default), Is.Not.Null);
        time.Advance(TimeSpan.FromHours(1));
        await Assert.ThrowsAsync<WorkloadKeyFetchException>(async () => await cache.FindAsync(Issuer, "key-1", default));
    }

    [Test]
    public async Task Pinned_keys_are_never_fetched()
    {
        var (cache, fetcher, _) = Create();
        var pinned = new WorkloadIssuer { Name = "pinned", Issuer = "https://p", PinnedJwks = """{"keys":[{"kty":"RSA","kid":"p1","n":"sXch","e":"AQAB"}]}""", Audiences = ["a"] };
        Assert.That(await cache.FindAsync(pinned, "p1", default), Is.Not.Null);
        Assert.That(await cache.FindAsync(pinned, "other", default), Is.Null);
        Assert.That(fetcher.Calls, Is.Zero);
    }

    [TestCase("10.1.2.3", true)]
    [TestCase("172.16.0.1", true)]
    [TestCase("172.32.0.1", false)]
    [TestCase("192.168.1.1", true)]
    [TestCase("169.254.169.254", true)]
    [TestCase("100.64.0.1", true)]
    [TestCase("0.0.0.0", true)]
    [TestCase("::1", true)]
    [TestCase("fe80::1", true)]
    [TestCase("fd00::1", true)]
    [TestCase("::ffff:10.0.0.1", true)]
    [TestCase("64:ff9b::a9fe:a9fe", true)]
    [TestCase("2002:a9fe:a9fe::1", true)]
    [TestCase("::a9fe:a9fe", true)]
    [TestCase("::ffff:0:a9fe:a9fe", true)]
    [TestCase("198.18.0.1", true)]
    [TestCase("64:ff9b::808:808", false)]
    [TestCase("8.8.8.8", false)]
    [TestCase("2606:4700::1111", false)]
    public void Private_addresses_are_recognised(string address, bool isPrivate) =>
        Assert.That(LumoAuth.Agents.Fetching.OutboundDocumentFetcher.IsPrivate(IPAddress.Parse(address)), Is.EqualTo(isPrivate));

    [TestCase("127.0.0.1", false)]
    [TestCase("169.254.169.254", true)]
    [TestCase("64:ff9b::a9fe:a9fe", true)]
    [TestCase("::ffff:169.254.169.254", true)]
    [TestCase("fe80::1", true)]
    [TestCase("10.0.0.1", false)]
    public void Link_local_addresses_are_blocked_even_for_in_cluster_issuers(string address, bool linkLocal) =>
        Assert.That(LumoAuth.Agents.Fetching.OutboundDocumentFetcher.IsLinkLocal(IPAddress.Parse(address)), Is.EqualTo(linkLocal));

    [Test]
    public async Task A_caller_hanging_up_does_not_abort_the_fetch_others_rely_on()
    {
        var fetcher = new GatedFetcher();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero));
        var cache = new WorkloadKeyCache(fetcher, new StaticOptions<WorkloadOptions>(new WorkloadOptions()), time, NullLogger<WorkloadKeyCache>.Instance);
        using var hangUp = new CancellationTokenSource();
        var first = cache.FindAsync(Issuer, "key-1", hangUp.Token).AsTask();
        await fetcher.Started.Task;
        await hangUp.CancelAsync();
        fetcher.Release.SetResult();
        await first;
        Assert.That(await cache.FindAsync(Issuer, "key-1", default), Is.Not.Null, "the keys were stored");
        Assert.That(fetcher.Calls, Is.EqualTo(1));
        Assert.That(fetcher.SawCancellableToken, Is.False);
    }

    private sealed class GatedFetcher : IWorkloadKeyFetcher
    {
        public int Calls;
        public bool SawCancellableToken;
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<JsonWebKeySet> FetchAsync(WorkloadIssuer issuer, CancellationToken cancellationToken)
        {
            Calls++;
            SawCancellableToken |= cancellationToken.CanBeCanceled;
            Started.SetResult();
            await Release.Task;
            return Set("key-1");
        }
    }
}
