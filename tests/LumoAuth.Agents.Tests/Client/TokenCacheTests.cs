using System.Net;
using LumoAuth.Agents.Client;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.Client;

/// <summary>The agent's token cache and its bearer handler's one retry.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class TokenCacheTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-29T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Test]
    public async Task One_fetch_per_key_for_concurrent_callers_renewed_before_expiry_and_failures_not_cached()
    {
        using var cache = new TokenCache(_clock, () => TimeSpan.FromSeconds(30));
        var fetches = 0;
        async Task<HeldToken> Fetch(CancellationToken ct)
        {
            Interlocked.Increment(ref fetches);
            await Task.Delay(20, ct);
            return new HeldToken("t" + fetches, _clock.GetUtcNow().AddMinutes(5));
        }

        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => cache.GetAsync("a", Fetch, default)));
        Assert.That(tokens.Select(t => t.Value).Distinct(), Is.EqualTo(new[] { "t1" }));
        await cache.GetAsync("b", Fetch, default);
        Assert.That(fetches, Is.EqualTo(2), "keys are independent");

        _clock.Advance(TimeSpan.FromSeconds(271));
        Assert.That((await cache.GetAsync("a", Fetch, default)).Value, Is.EqualTo("t3"), "renewed 30 s before expiry");

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("c", _ => throw new InvalidOperationException("refused"), default));
        Assert.That((await cache.GetAsync("c", Fetch, default)).Value, Is.EqualTo("t4"), "a failure is not cached");

        cache.Invalidate("c", "not-the-held-one");
        Assert.That(cache.Peek("c")!.Value, Is.EqualTo("t4"));
        cache.Invalidate("c", "t4");
        Assert.That(cache.Peek("c"), Is.Null);
    }

    [Test]
    public async Task Failed_fetches_leave_nothing_behind_and_the_cache_has_a_hard_cap()
    {
        using var cache = new TokenCache(_clock, () => TimeSpan.Zero, maxEntries: 8);
        for (var i = 0; i < 100; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("random-user-token-" + i, _ => throw new InvalidOperationException("refused"), default));
        }

        Assert.That(cache.Count, Is.Zero);
        for (var i = 0; i < 100; i++)
        {
            await cache.GetAsync("user-" + i, _ => Task.FromResult(new HeldToken("t", _clock.GetUtcNow().AddMinutes(5 + i))), default);
        }

        Assert.That(cache.Count, Is.LessThanOrEqualTo(9));
        Assert.That(cache.Peek("user-99"), Is.Not.Null, "the newest stays");
    }

    [Test]
    public async Task The_handler_gets_a_new_token_once_when_the_resource_says_invalid_token()
    {
        var served = new List<string?>();
        using var handler = new CountingHandler(served) { InnerHandler = new FakeResource(served) };
        using var client = new HttpClient(handler);
        using var response = await client.GetAsync(new Uri("https://api.example/x"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(served, Is.EqualTo(new[] { "Bearer token-1", "Bearer token-2" }));
        Assert.That(handler.Forgotten, Is.EqualTo(new[] { "token-1" }));
    }

    [TestCase("http://api.example/x")]
    [TestCase("ftp://127.0.0.1/x")]
    public async Task The_handler_never_sends_a_token_in_cleartext(string url)
    {
        var served = new List<string?>();
        using var handler = new CountingHandler(served) { InnerHandler = new FakeResource(served) };
        using var client = new HttpClient(handler);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync(new Uri(url)));
        Assert.That(served, Is.Empty, "nothing left the process");
    }

    /// <summary>The handler under test, with a token source that counts (stands in for the token server).</summary>
    private sealed class CountingHandler(List<string?> served) : AgentBearerHandlerBase
    {
        private int _issued;

        public List<string> Forgotten { get; } = [];

        public List<string?> Served => served;

        protected override Task<string> TokenAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult("token-" + ++_issued);

        protected override void Forget(HttpRequestMessage request, string token) => Forgotten.Add(token);
    }

    /// <summary>A resource that refuses the first token as invalid (a rotated key, say) and accepts the next.</summary>
    private sealed class FakeResource(List<string?> served) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            served.Add(request.Headers.Authorization?.ToString());
            var response = new HttpResponseMessage(served.Count == 1 ? HttpStatusCode.Unauthorized : HttpStatusCode.OK);
            if (served.Count == 1)
            {
                response.Headers.WwwAuthenticate.ParseAdd("Bearer error=\"invalid_token\"");
            }

            return Task.FromResult(response);
        }
    }
}
