using LumoAuth.Agents.Audit;
using LumoAuth.Agents.EntityFrameworkCore.Stores;
using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.Scopes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Database;

/// <summary>The EF Core stores against real databases: one model, every provider.</summary>
[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
[TestFixture(DatabaseKind.SqlServer)]
public class StoreTests(DatabaseKind database)
{
    private string _connectionString = null!;
    private string _directory = null!;

    public sealed class StoreDbContext(DbContextOptions<StoreDbContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.UseLumoAgents();
    }

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync()
    {
        _directory = Scratch.Directory("store-");
        _connectionString = await TestDatabases.CreateAsync(database, _directory);
        await using var context = NewContext();
        await context.Database.EnsureCreatedAsync();
    }

    [OneTimeTearDown]
    public async Task DropDatabaseAsync()
    {
        if (_connectionString is not null)
        {
            await using var context = NewContext();
            await context.Database.EnsureDeletedAsync();
        }
    }

    private StoreDbContext NewContext()
    {
        var options = new DbContextOptionsBuilder<StoreDbContext>();
        Configure(options);
        return new StoreDbContext(options.Options);
    }

    private void Configure(DbContextOptionsBuilder options) => _ = database switch
    {
        DatabaseKind.Sqlite => options.UseSqlite(_connectionString),
        DatabaseKind.PostgreSql => options.UseNpgsql(_connectionString),
        _ => options.UseSqlServer(_connectionString),
    };

    [Test]
    public async Task Concurrent_spends_of_a_nonce_have_one_winner_and_an_expired_nonce_is_taken_over()
    {
        // The store as a host gets it (group-committed on PostgreSQL and SQLite), and the one a caller builds itself.
        var services = new ServiceCollection();
        services.AddDbContext<StoreDbContext>(Configure);
        services.AddLumoAgents().UseEntityFrameworkCore<StoreDbContext>();
        await using var provider = services.BuildServiceProvider();
        var now = DateTimeOffset.UtcNow;
        foreach (var (kind, open) in new (string, Func<(LumoAuth.Agents.HttpSignatures.Verification.ISignatureNonceStore Store, IAsyncDisposable Scope)>)[]
        {
            ("host's", () =>
            {
                var scope = provider.CreateAsyncScope();
                return (scope.ServiceProvider.GetRequiredService<LumoAuth.Agents.HttpSignatures.Verification.ISignatureNonceStore>(), scope);
            }),
            ("plain", () =>
            {
                var context = NewContext();
                return (new LumoSignatureNonceStore<StoreDbContext>(context, TimeProvider.System), context);
            }),
        })
        {
            var prefix = kind + "-" + Guid.NewGuid().ToString("N")[..8];
            var spends = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
            {
                var (store, scope) = open();
                await using (scope)
                {
                    var nonce = $"{prefix}-{i % 16}";
                    return (Nonce: nonce, Won: await store.TryReserveAsync(nonce, now.AddMinutes(5), default));
                }
            }));
            var winners = spends.GroupBy(s => s.Nonce).ToDictionary(g => g.Key, g => g.Count(s => s.Won));
            TestContext.Out.WriteLine($"nonce spends ({database}, {kind} store): 64 concurrent over 16 nonces, {spends.Count(s => s.Won)} won");
            Assert.That(winners.Values, Is.All.EqualTo(1), $"{kind}: each nonce is won exactly once");
            Assert.That(winners, Has.Count.EqualTo(16));

            var (first, firstScope) = open();
            await using (firstScope)
            {
                var old = prefix + "-expired";
                Assert.That(await first.TryReserveAsync(old, now.AddSeconds(-1), default), Is.True, $"{kind}: first use");
                Assert.That(await first.TryReserveAsync(old, now.AddMinutes(5), default), Is.True, $"{kind}: an expired use is taken over");
                Assert.That(await first.TryReserveAsync(old, now.AddMinutes(5), default), Is.False, $"{kind}: then it is spent");
            }
        }
    }

    private static AgentProfile Agent(string id) => new()
    {
        Id = id,
        DisplayName = "Agent " + id,
        Owner = "owner-" + id,
        Capabilities = ScopeSet.Parse("read:articles search:web delegate:user"),
        DefaultScopes = ScopeSet.Parse("read:articles"),
        AllowedTools = new HashSet<string> { "search-tool", "index-tool" },
        Delegation = new DelegationRules { CanActForUsers = true, MaxChainDepth = 4 },
        AccessTokenLifetime = TimeSpan.FromMinutes(7),
        Budget = new BudgetPolicy { MaxTokensPerDay = 100_000, MaxApiCallsPerHour = 500, MaxCostPerMonth = 12.5m },
        CreatedAt = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero),
    };

    [Test]
    public async Task An_agent_round_trips_with_every_field()
    {
        await using var context = NewContext();
        var store = new LumoAgentStore<StoreDbContext>(context);
        var agent = Agent("roundtrip-" + database.ToString().ToLowerInvariant());
        await store.CreateAsync(agent, default);

        await using var other = NewContext();
        var read = await new LumoAgentStore<StoreDbContext>(other).FindAsync(agent.Id, default);
        Assert.That(read, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(read!.DisplayName, Is.EqualTo(agent.DisplayName));
            Assert.That(read.Owner, Is.EqualTo(agent.Owner));
            Assert.That(read.Capabilities, Is.EqualTo(agent.Capabilities));
            Assert.That(read.DefaultScopes, Is.EqualTo(agent.DefaultScopes));
            Assert.That(read.AllowedTools, Is.EquivalentTo(agent.AllowedTools));
            Assert.That(read.Delegation, Is.EqualTo(agent.Delegation));
            Assert.That(read.AccessTokenLifetime, Is.EqualTo(agent.AccessTokenLifetime));
            Assert.That(read.Budget, Is.EqualTo(agent.Budget));
            Assert.That(read.CreatedAt, Is.EqualTo(agent.CreatedAt));
            Assert.That(read.Status, Is.EqualTo(AgentStatus.Active));
        });
    }

    [Test]
    public async Task A_second_agent_with_the_same_id_is_refused()
    {
        await using var context = NewContext();
        var store = new LumoAgentStore<StoreDbContext>(context);
        await store.CreateAsync(Agent("twice"), default);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.CreateAsync(Agent("twice"), default));
        Assert.That(await store.FindAsync("twice", default), Is.Not.Null, "the context stays usable after the refusal");
    }

    [Test]
    public async Task Status_changes_are_single_updates_visible_to_other_instances()
    {
        await using (var context = NewContext())
        {
            await new LumoAgentStore<StoreDbContext>(context).CreateAsync(Agent("status-bot"), default);
        }

        var changes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            await using var context = NewContext();
            return await new LumoAgentStore<StoreDbContext>(context).SetStatusAsync("status-bot", i % 2 == 0 ? AgentStatus.Suspended : AgentStatus.Active, null, default);
        }));
        Assert.That(changes, Is.All.True);

        await using var reader = NewContext();
        var store = new LumoAgentStore<StoreDbContext>(reader);
        Assert.That(await store.SetStatusAsync("status-bot", AgentStatus.Revoked, null, default), Is.True);
        Assert.That((await store.FindAsync("status-bot", default))!.Status, Is.EqualTo(AgentStatus.Revoked));
        Assert.That(await store.SetStatusAsync("no-such-bot", AgentStatus.Revoked, null, default), Is.False);
    }

    [Test]
    public async Task A_revoked_agent_cannot_be_made_active_again_by_a_stale_caller()
    {
        var id = "revoked-" + Guid.NewGuid().ToString("N")[..8];
        await using var context = NewContext();
        var store = new LumoAgentStore<StoreDbContext>(context);
        await store.CreateAsync(Agent(id), default);
        Assert.That(await store.SetStatusAsync(id, AgentStatus.Revoked, null, default), Is.True);
        Assert.That(await store.SetStatusAsync(id, AgentStatus.Active, null, default), Is.False, "the update's own condition refuses it");
        Assert.That(await store.SetStatusAsync(id, AgentStatus.Suspended, null, default), Is.False);
        Assert.That((await store.FindAsync(id, default))!.Status, Is.EqualTo(AgentStatus.Revoked));
        Assert.That(await store.SetStatusAsync(id, AgentStatus.Revoked, null, default), Is.True, "revoking again is harmless");
    }

    [Test]
    public async Task Consent_adds_scopes_and_withdrawal_happens_once_even_when_raced()
    {
        var now = DateTimeOffset.UtcNow;
        var subject = "user:consent-" + Guid.NewGuid().ToString("N")[..8];
        await using (var context = NewContext())
        {
            var store = new LumoConsentStore<StoreDbContext>(context);
            await store.GrantAsync(subject, "research-bot", ScopeSet.Parse("read:articles"), now, default);
            var merged = await store.GrantAsync(subject, "research-bot", ScopeSet.Parse("search:web"), now, default);
            Assert.That(merged.Scopes.ToString(), Is.EqualTo("read:articles search:web"));
        }

        var withdrawals = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            await using var context = NewContext();
            return await new LumoConsentStore<StoreDbContext>(context).WithdrawAsync(subject, "research-bot", now, default);
        }));
        Assert.That(withdrawals.Count(w => w), Is.EqualTo(1), "exactly one withdrawal takes effect");

        await using (var context = NewContext())
        {
            var store = new LumoConsentStore<StoreDbContext>(context);
            Assert.That(await store.FindActiveAsync(subject, "research-bot", default), Is.Null);
            var regranted = await store.GrantAsync(subject, "research-bot", ScopeSet.Parse("read:articles"), now, default);
            Assert.That(regranted.Scopes.ToString(), Is.EqualTo("read:articles"), "consent given again starts afresh");
            Assert.That(await store.ListAsync(subject, default), Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Sixty_four_concurrent_consumers_never_pass_the_limit()
    {
        const int limit = 20;
        var agent = "budget-" + Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
        {
            await using var context = NewContext();
            return await new LumoBudgetLedger<StoreDbContext>(context).ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 1, limit, now, null, default);
        }));
        await using var reader = NewContext();
        var used = await new LumoBudgetLedger<StoreDbContext>(reader).ReadAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, now, default);
        TestContext.Out.WriteLine($"budget exactness ({database}): 64 concurrent consumers, limit {limit}: {results.Count(r => r.Accepted)} accepted, {results.Count(r => !r.Accepted)} refused, ledger reads {used}");
        Assert.That(results.Count(r => r.Accepted), Is.EqualTo(limit));
        Assert.That(used, Is.EqualTo(limit));
    }

    [Test]
    public async Task The_same_idempotency_key_sent_ten_times_in_parallel_counts_once()
    {
        var agent = "idem-" + Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(async _ =>
        {
            await using var context = NewContext();
            return await new LumoBudgetLedger<StoreDbContext>(context).ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay, 1500, 100_000, now, "report-42", default);
        }));
        await using var reader = NewContext();
        Assert.That(await new LumoBudgetLedger<StoreDbContext>(reader).ReadAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay, now, default), Is.EqualTo(1500));
        Assert.That(results.Count(r => !r.Duplicate), Is.EqualTo(1));
        Assert.That(results, Is.All.Matches<LumoAuth.Agents.Budgets.BudgetConsumption>(r => r.Accepted));
    }

    [Test]
    public async Task Usage_counts_per_window()
    {
        var agent = "window-" + Guid.NewGuid().ToString("N")[..8];
        var hour = new DateTimeOffset(2026, 11, 29, 10, 59, 59, TimeSpan.Zero);
        await using var context = NewContext();
        var ledger = new LumoBudgetLedger<StoreDbContext>(context);
        Assert.That((await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 3, 3, hour, null, default)).Accepted, Is.True);
        Assert.That((await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 1, 3, hour, null, default)).Accepted, Is.False, "the limit is inclusive: 3 of 3, then no more");
        Assert.That((await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 1, 3, hour.AddSeconds(1), null, default)).Accepted, Is.True, "a new hour starts afresh");
    }

    [Test]
    public async Task Several_windows_are_read_in_one_query_each_metric_in_its_own_window()
    {
        var agent = "many-" + Guid.NewGuid().ToString("N")[..8];
        var now = new DateTimeOffset(2026, 11, 29, 10, 30, 0, TimeSpan.Zero);
        await using var context = NewContext();
        var ledger = new LumoBudgetLedger<StoreDbContext>(context);
        await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 7, 100, now, null, default);
        await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, 5, 100, now.AddHours(-1), null, default); // last hour: not counted
        await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay, 1200, 100_000, now, null, default);
        await ledger.ConsumeAsync(agent, LumoAuth.Agents.Budgets.BudgetMetric.CostPerMonth, 30, 100_000, now, null, default);

        var all = await ledger.ReadManyAsync(agent, [LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour, LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay,
            LumoAuth.Agents.Budgets.BudgetMetric.CostPerMonth], now, default);
        Assert.That(all[LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour], Is.EqualTo(7));
        Assert.That(all[LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay], Is.EqualTo(1200));
        Assert.That(all[LumoAuth.Agents.Budgets.BudgetMetric.CostPerMonth], Is.EqualTo(30));

        var some = await ledger.ReadManyAsync(agent, [LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay], now, default);
        Assert.That(some.Keys, Is.EquivalentTo(new[] { LumoAuth.Agents.Budgets.BudgetMetric.LlmTokensPerDay }), "only the metrics asked for");
        Assert.That((await ledger.ReadManyAsync("nobody-" + agent, [LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour], now, default))[LumoAuth.Agents.Budgets.BudgetMetric.ApiCallsPerHour], Is.Zero);
    }

    [Test]
    public async Task Audit_records_past_their_retention_are_removed_and_newer_ones_kept()
    {
        var agent = "retention-" + Guid.NewGuid().ToString("N")[..8];
        var now = DateTimeOffset.UtcNow;
        await using (var context = NewContext())
        {
            var store = new LumoAuditStore<StoreDbContext>(context);
            await store.WriteAsync(new AuditRecord { OccurredAt = now.AddDays(-500), GrantType = "client_credentials", AgentId = agent }, default);
            await store.WriteAsync(new AuditRecord { OccurredAt = now.AddDays(-1), GrantType = "client_credentials", AgentId = agent }, default);
        }

        await using var reader = NewContext();
        var trail = new LumoAuditStore<StoreDbContext>(reader);
        var retention = new LumoAuth.Agents.Audit.AuditRetention(trail,
            new StaticOptionsMonitor(new LumoAuth.Agents.Configuration.LumoAgentsOptions { AuditRetention = TimeSpan.FromDays(400) }), TimeProvider.System);
        Assert.That(await retention.PurgeAsync(default), Is.GreaterThanOrEqualTo(1));
        var left = await trail.QueryAsync(new AuditQuery { AgentId = agent }, default);
        Assert.That(left, Has.Count.EqualTo(1));
        Assert.That(left[0].OccurredAt, Is.GreaterThan(now.AddDays(-2)));
    }

    private sealed class StaticOptionsMonitor(LumoAuth.Agents.Configuration.LumoAgentsOptions value) : Microsoft.Extensions.Options.IOptionsMonitor<LumoAuth.Agents.Configuration.LumoAgentsOptions>
    {
        public LumoAuth.Agents.Configuration.LumoAgentsOptions CurrentValue => value;

        public LumoAuth.Agents.Configuration.LumoAgentsOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LumoAuth.Agents.Configuration.LumoAgentsOptions, string?> listener) => null;
    }

    [Test]
    public async Task Workload_bindings_are_replaced_per_agent_and_found_by_issuer_and_subject()
    {
        await using (var context = NewContext())
        {
            var store = new LumoWorkloadBindingStore<StoreDbContext>(context);
            await store.ReplaceAsync("bound-bot", [LumoAuth.Agents.Workload.WorkloadBinding.Kubernetes("bound-bot", "k8s", "agents", "bound-bot", "uid-1")], default);
            await store.ReplaceAsync("bound-bot", [LumoAuth.Agents.Workload.WorkloadBinding.Kubernetes("bound-bot", "k8s", "agents", "bound-bot", "uid-2")], default);
        }

        await using var reader = NewContext();
        var found = await new LumoWorkloadBindingStore<StoreDbContext>(reader).FindAsync("k8s", "system:serviceaccount:agents:bound-bot", default);
        Assert.That(found, Has.Count.EqualTo(1), "replaced, not added");
        Assert.That(found[0].Claims["kubernetes.io/serviceaccount/uid"], Is.EqualTo("uid-2"));
        Assert.That(await new LumoWorkloadBindingStore<StoreDbContext>(reader).ListAsync("bound-bot", default), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Audit_records_are_durable_and_queryable_by_agent_subject_outcome_and_reason()
    {
        var agentId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using (var context = NewContext())
        {
            var store = new LumoAuditStore<StoreDbContext>(context);
            await store.WriteAsync(new AuditRecord
            {
                OccurredAt = start.AddSeconds(10), GrantType = "client_credentials", Outcome = AuditOutcome.Issued, AgentId = agentId,
                Subject = "agent:" + agentId, ScopesGranted = "read:articles", TokenId = "jti-1", ClientIp = "127.0.0.1",
            }, default);
            await store.WriteAsync(new AuditRecord
            {
                OccurredAt = start.AddSeconds(20), GrantType = "urn:ietf:params:oauth:grant-type:token-exchange", Outcome = AuditOutcome.Refused,
                AgentId = agentId, Subject = "user:alice", ReasonCode = "consent_missing", Error = "invalid_grant", Description = "no consent",
                ActorChain = """{"sub":"agent:x"}""", ChainDescription = "x, acting for alice", ChainDepth = 1,
            }, default);
        }

        await using (var context = NewContext())
        {
            // Attacker-chosen values longer than their columns are cut to fit, never lost.
            await new LumoAuditStore<StoreDbContext>(context).WriteAsync(new AuditRecord
            {
                OccurredAt = start.AddSeconds(5), GrantType = new string('g', 500), Outcome = AuditOutcome.Refused, AgentId = agentId,
                ClientId = new string('c', 500), ReasonCode = "protocol_error", Subject = new string('s', 500),
            }, default);
        }

        await using var reader = NewContext();
        var query = new LumoAuditStore<StoreDbContext>(reader);
        var cut = (await query.QueryAsync(new AuditQuery { AgentId = agentId, ReasonCode = "protocol_error" }, default)).Single();
        Assert.That(cut.ClientId, Has.Length.EqualTo(200).And.EndsWith("\u2026"));
        Assert.That(cut.GrantType, Has.Length.EqualTo(200));
        var all = (await query.QueryAsync(new AuditQuery { AgentId = agentId }, default)).Where(r => r.ReasonCode != "protocol_error").ToList();
        Assert.That(all.Select(r => r.TokenId ?? r.ReasonCode), Is.EqualTo(new[] { "consent_missing", "jti-1" }), "newest first");
        Assert.That((await query.QueryAsync(new AuditQuery { AgentId = agentId, Outcome = AuditOutcome.Refused, ReasonCode = "consent_missing" }, default)).Single().ChainDescription, Is.EqualTo("x, acting for alice"));
        Assert.That(await query.QueryAsync(new AuditQuery { AgentId = agentId, ReasonCode = "consent_missing", Subject = "user:alice" }, default), Has.Count.EqualTo(1));
        Assert.That(await query.QueryAsync(new AuditQuery { AgentId = agentId, From = start.AddSeconds(15) }, default), Has.Count.EqualTo(1));
    }
}
