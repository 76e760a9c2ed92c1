using System.Security.Cryptography;
using LumoAuth.Agents.Keys;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Tests.Keys;

/// <summary>Fetched signing keys (a token server's on a resource, a workload issuer's on the server): scheduled refresh, throttled single-flight refresh, last good keys, fail closed.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class SigningKeyCacheTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-29T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly SigningKeyCacheOptions _options = new();
    private IReadOnlyList<SecurityKey> _published = [Key("k1")];
    private Exception? _failure;
    private int _fetches;

    private static ECDsaSecurityKey Key(string kid) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = kid };

    private SigningKeyCache Cache(TimeSpan? delay = null) => new(async _ =>
    {
        Interlocked.Increment(ref _fetches);
        if (delay is { } wait)
        {
            await Task.Delay(wait, CancellationToken.None);
        }

        return _failure is { } failure ? throw failure : _published;
    }, () => _options, _clock);

    [Test]
    public async Task Keys_are_fetched_once_and_served_from_the_cache_until_the_refresh_interval()
    {
        using var cache = Cache();
        Assert.That((await cache.GetAsync("k1", default))[0].KeyId, Is.EqualTo("k1"));
        await cache.GetAsync("k1", default);
        _clock.Advance(TimeSpan.FromMinutes(59));
        await cache.GetAsync(null, default);
        Assert.That(_fetches, Is.EqualTo(1));
        _published = [Key("k2")];
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That((await cache.GetAsync(null, default))[0].KeyId, Is.EqualTo("k2"));
        Assert.That(_fetches, Is.EqualTo(2));
    }

    [Test]
    public async Task An_unknown_key_id_refreshes_at_most_once_per_throttle_window()
    {
        using var cache = Cache();
        await cache.GetAsync("k1", default);
        _published = [Key("k1"), Key("rotated")];
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.That((await cache.GetAsync("rotated", default)).Select(k => k.KeyId), Does.Contain("rotated"), "a rotated key is picked up");
        for (var i = 0; i < 50; i++)
        {
            await cache.GetAsync("random-" + i, default);
        }

        Assert.That(_fetches, Is.EqualTo(2), "random key ids within the window cause no fetch");
        _clock.Advance(TimeSpan.FromSeconds(31));
        await cache.GetAsync("random-again", default);
        Assert.That(_fetches, Is.EqualTo(3));
    }

    [Test]
    public async Task Concurrent_callers_share_one_fetch()
    {
        using var cache = Cache(TimeSpan.FromMilliseconds(50));
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => cache.GetAsync("k1", default).AsTask()));
        Assert.That(_fetches, Is.EqualTo(1));
    }

    [Test]
    public async Task While_a_slow_refresh_is_in_flight_callers_are_served_the_good_keys_without_waiting()
    {
        var release = new TaskCompletionSource();
        var calls = 0;
        using var cache = new SigningKeyCache(async _ =>
        {
            if (Interlocked.Increment(ref calls) > 1)
            {
                await release.Task; // the token server hangs
            }

            return _published;
        }, () => _options, _clock);
        await cache.GetAsync(null, default);
        _clock.Advance(TimeSpan.FromHours(2));
        var hanging = cache.GetAsync(null, default).AsTask();
        var served = await cache.GetAsync(null, default).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(served[0].KeyId, Is.EqualTo("k1"));
        Assert.That(hanging.IsCompleted, Is.False);
        release.SetResult();
        await hanging;
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public async Task Last_good_keys_serve_while_the_server_is_down_then_it_fails_closed()
    {
        using var cache = Cache();
        await cache.GetAsync(null, default);
        _failure = new HttpRequestException("connection refused");
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.That((await cache.GetAsync(null, default))[0].KeyId, Is.EqualTo("k1"), "last good keys within the window");
        _clock.Advance(TimeSpan.FromHours(23));
        var error = await Assert.ThrowsAsync<SigningKeysUnavailableException>(async () => await cache.GetAsync(null, default));
        Assert.That(error!.Message, Does.Contain("connection refused"));
    }

    [Test]
    public async Task With_no_keys_ever_fetched_it_fails_closed_and_does_not_retry_within_the_throttle()
    {
        _failure = new HttpRequestException("down");
        using var cache = Cache();
        await Assert.ThrowsAsync<SigningKeysUnavailableException>(async () => await cache.GetAsync("k1", default));
        await Assert.ThrowsAsync<SigningKeysUnavailableException>(async () => await cache.GetAsync("k1", default));
        Assert.That(_fetches, Is.EqualTo(1));
    }
}
