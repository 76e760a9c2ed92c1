using LumoAuth.Agents.Caching;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.InMemory;
using LumoAuth.Agents.Scopes;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.Tests.Agents;

public class RegistryCacheTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    private FakeTimeProvider _time = null!;
    private CountingAgentStore _store = null!;
    private RegistryCache<string, AgentProfile> _shared = null!;
    private CachingAgentStore _agents = null!;

    /// <summary>The store as one request sees it (it reads each agent once); the cache is shared by all requests.</summary>
    private CachingAgentStore Request() => new(_store, _shared);

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider();
        _store = new CountingAgentStore(new InMemoryAgentStore());
        _shared = new RegistryCache<string, AgentProfile>(_time, Lifetime, StringComparer.Ordinal);
        _agents = Request();
        await _store.CreateAsync(Agent("research-bot"), default);
    }

    private static AgentProfile Agent(string id) => new() { Id = id, DisplayName = id, Owner = "research", Capabilities = ScopeSet.Parse("read:articles") };

    [Test]
    public async Task Reads_within_the_lifetime_are_served_without_the_store_and_read_again_after_it()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.That((await Request().FindAsync("research-bot", default))!.Id, Is.EqualTo("research-bot"));
        }

        Assert.That(_store.Reads, Is.EqualTo(1));
        _time.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        await Request().FindAsync("research-bot", default);
        Assert.That(_store.Reads, Is.EqualTo(1));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Request().FindAsync("research-bot", default);
        Assert.That(_store.Reads, Is.EqualTo(2));
    }

    [Test]
    public async Task A_zero_lifetime_reads_the_store_every_time()
    {
        var uncached = new RegistryCache<string, AgentProfile>(_time, TimeSpan.Zero);
        await new CachingAgentStore(_store, uncached).FindAsync("research-bot", default);
        await new CachingAgentStore(_store, uncached).FindAsync("research-bot", default);
        Assert.That(_store.Reads, Is.EqualTo(2));
    }

    [Test]
    public async Task A_suspension_through_the_store_is_seen_by_the_next_read_at_once()
    {
        var before = await _agents.FindAsync("research-bot", default);
        Assert.That(await _agents.SetStatusAsync("research-bot", AgentStatus.Suspended, before!.Version, default), Is.True);
        Assert.That((await _agents.FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Suspended));
    }

    [Test]
    public async Task An_update_and_a_delete_are_seen_at_once()
    {
        var before = await _agents.FindAsync("research-bot", default);
        Assert.That(await _agents.UpdateAsync(before! with { DisplayName = "Renamed" }, before!.Version, default), Is.True);
        Assert.That((await _agents.FindAsync("research-bot", default))!.DisplayName, Is.EqualTo("Renamed"));
        await _agents.DeleteAsync("research-bot", default);
        Assert.That(await _agents.FindAsync("research-bot", default), Is.Null);
    }

    [Test]
    public async Task An_unknown_agent_is_remembered_as_absent_until_it_is_created()
    {
        Assert.That(await Request().FindAsync("new-bot", default), Is.Null);
        Assert.That(await Request().FindAsync("new-bot", default), Is.Null);
        Assert.That(_store.Reads, Is.EqualTo(1));
        await _agents.CreateAsync(Agent("new-bot"), default);
        Assert.That(await _agents.FindAsync("new-bot", default), Is.Not.Null);
    }

    [Test]
    public async Task A_failed_write_still_drops_the_cached_copy()
    {
        await Request().FindAsync("research-bot", default);
        _store.FailWrites = true;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _agents.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default));
        await Request().FindAsync("research-bot", default);
        Assert.That(_store.Reads, Is.EqualTo(2));
    }

    [Test]
    public async Task A_read_that_started_before_a_write_does_not_keep_what_it_read()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.BeforeRead = gate.Task;
        var slow = _agents.FindAsync("research-bot", default).AsTask(); // reads the active agent, then waits

        _store.BeforeRead = null;
        var version = (await _store.FindAsync("research-bot", default))!.Version;
        Assert.That(await _agents.SetStatusAsync("research-bot", AgentStatus.Suspended, version, default), Is.True);
        gate.SetResult();
        Assert.That((await slow)!.Status, Is.EqualTo(AgentStatus.Active), "the slow read returns what it read");

        Assert.That((await Request().FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Suspended),
            "but it was not kept: the next request reads the store");
    }

    [Test]
    public async Task The_cache_holds_a_bounded_number_of_entries()
    {
        var cache = new RegistryCache<string, AgentProfile>(_time, Lifetime);
        for (var i = 0; i < RegistryCache<string, AgentProfile>.MaxEntries; i++)
        {
            await cache.GetAsync("random-" + i, 0, static (_, _) => ValueTask.FromResult<AgentProfile?>(null), default);
        }

        Assert.That(cache.Count, Is.EqualTo(RegistryCache<string, AgentProfile>.MaxEntries));
        for (var i = 0; i < 50; i++)
        {
            await cache.GetAsync("more-" + i, 0, static (_, _) => ValueTask.FromResult<AgentProfile?>(null), default);
        }

        Assert.That(cache.Count, Is.LessThanOrEqualTo(RegistryCache<string, AgentProfile>.MaxEntries));

        // Full of entries that have expired: a new key is kept again.
        _time.Advance(Lifetime);
        var reads = 0;
        for (var i = 0; i < 3; i++)
        {
            await cache.GetAsync("after-the-flood", 0, (_, _) => { reads++; return ValueTask.FromResult<AgentProfile?>(Agent("after-the-flood")); }, default);
        }

        Assert.That(reads, Is.EqualTo(1));
        Assert.That(cache.Count, Is.LessThanOrEqualTo(RegistryCache<string, AgentProfile>.MaxEntries));
    }

    [Test]
    public async Task A_cache_told_not_to_keep_absent_values_reads_them_every_time()
    {
        var cache = new RegistryCache<string, AgentProfile>(_time, Lifetime, keepAbsent: false);
        var reads = 0;
        await cache.GetAsync("none", 0, (_, _) => { reads++; return ValueTask.FromResult<AgentProfile?>(null); }, default);
        await cache.GetAsync("none", 0, (_, _) => { reads++; return ValueTask.FromResult<AgentProfile?>(null); }, default);
        Assert.That(reads, Is.EqualTo(2));
    }

    [Test]
    public async Task What_one_request_remembers_is_never_put_back_for_the_others()
    {
        var shared = new RegistryCache<string, AgentProfile>(_time, Lifetime, StringComparer.Ordinal);
        var first = new CachingAgentStore(_store, shared);
        Assert.That((await first.FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Active));

        var admin = new CachingAgentStore(_store, shared);
        Assert.That(await admin.SetStatusAsync("research-bot", AgentStatus.Suspended, null, default), Is.True);

        Assert.That((await first.FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Active), "one request sees one profile");
        Assert.That((await new CachingAgentStore(_store, shared).FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Suspended),
            "a later request sees the change at once");
    }

    [Test]
    public async Task A_revoked_agent_stays_revoked_whatever_the_caller_read()
    {
        Assert.That(await _agents.SetStatusAsync("research-bot", AgentStatus.Revoked, null, default), Is.True);
        Assert.That(await _store.SetStatusAsync("research-bot", AgentStatus.Active, null, default), Is.False);
        Assert.That((await _store.FindAsync("research-bot", default))!.Status, Is.EqualTo(AgentStatus.Revoked));
    }

    [Test]
    public async Task A_withdrawn_consent_is_seen_at_once_and_a_new_one_too()
    {
        var consents = new CachingConsentStore(new InMemoryConsentStore(),
            new RegistryCache<(string Subject, string AgentId), ConsentGrant>(_time, Lifetime));
        await consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("search:web"), _time.GetUtcNow(), default);
        Assert.That(await consents.FindActiveAsync("user:alice", "research-bot", default), Is.Not.Null);

        Assert.That(await consents.WithdrawAsync("user:alice", "research-bot", _time.GetUtcNow(), default), Is.True);
        Assert.That(await consents.FindActiveAsync("user:alice", "research-bot", default), Is.Null);

        await consents.GrantAsync("user:alice", "research-bot", ScopeSet.Parse("read:articles"), _time.GetUtcNow(), default);
        Assert.That((await consents.FindActiveAsync("user:alice", "research-bot", default))!.Scopes.ToString(), Is.EqualTo("read:articles"));
    }

    /// <summary>Counts the reads that reach the store; can hold a read until released, and fail writes.</summary>
    private sealed class CountingAgentStore(IAgentStore inner) : IAgentStore
    {
        public int Reads;

        public Task? BeforeRead { get; set; }

        public bool FailWrites { get; set; }

        public async ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Reads);
            var value = await inner.FindAsync(id, cancellationToken);
            if (BeforeRead is { } gate)
            {
                await gate;
            }

            return value;
        }

        public ValueTask CreateAsync(AgentProfile agent, CancellationToken cancellationToken) => inner.CreateAsync(agent, cancellationToken);

        public ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion, CancellationToken cancellationToken) =>
            FailWrites ? throw new InvalidOperationException("The store is down.") : inner.SetStatusAsync(id, status, expectedVersion, cancellationToken);

        public ValueTask<bool> UpdateAsync(AgentProfile agent, string expectedVersion, CancellationToken cancellationToken) => inner.UpdateAsync(agent, expectedVersion, cancellationToken);

        public ValueTask DeleteAsync(string id, CancellationToken cancellationToken) => inner.DeleteAsync(id, cancellationToken);

        public ValueTask<IReadOnlyList<AgentProfile>> ListAsync(AgentQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);
    }
}
