using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Errors;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// Keeps callers without a valid token from growing the audit trail at will: per client IP, refusals past
/// <see cref="LumoAgentsApiOptions.AnonymousPermitLimit"/> in a window answer 429 (System.Threading.RateLimiting, fixed
/// window), and only the first refusal of each window is its own audit record; the rest are counted and written as one
/// <c>refusals_aggregated</c> record when the window ends. Callers with a valid token are never counted here.
/// One per application, shared by every API mapped on it.
/// </summary>
internal sealed partial class ApiCallerGuard : IDisposable
{
    private const string Overflow = "(other addresses)";
    private static readonly ConditionalWeakTable<IServiceProvider, ApiCallerGuard> Guards = [];

    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _flush;
    private readonly Dictionary<string, Tally> _tallies = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private ApiCallerGuard(LumoAgentsApiOptions options, IServiceScopeFactory scopes, TimeProvider time, ILogger logger)
    {
        Options = options;
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _limiter = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.AnonymousPermitLimit,
            Window = options.AnonymousWindow,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _flush = time.CreateTimer(_ => _ = FlushAsync(all: false), null, options.AnonymousWindow, options.AnonymousWindow);
    }

    public LumoAgentsApiOptions Options { get; }

    /// <summary>The guard of the application whose services these are, made on first use.</summary>
    public static ApiCallerGuard For(IServiceProvider services) => Guards.GetValue(services, Create);

    private static ApiCallerGuard Create(IServiceProvider services)
    {
        var options = new LumoAgentsApiOptions();
        services.GetService<IConfiguration>()?.GetSection(LumoAgentsApiOptions.SectionName).Bind(options);
        foreach (var configure in services.GetServices<IConfigureOptions<LumoAgentsApiOptions>>())
        {
            configure.Configure(options);
        }

        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new OptionsValidationException(LumoAgentsApiOptions.SectionName, typeof(LumoAgentsApiOptions), problems);
        }

        var guard = new ApiCallerGuard(options, services.GetRequiredService<IServiceScopeFactory>(), services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>().CreateLogger("LumoAuth.Agents.OpenIddict.Endpoints.ApiCallerGuard"));
        if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            // Summaries still counting are written on the way out; the timer stops with the host, so nothing keeps it alive.
            lifetime.ApplicationStopping.Register(() => guard.FlushAsync(all: true).Wait(TimeSpan.FromSeconds(5)));
            lifetime.ApplicationStopped.Register(guard.Dispose);
        }
        return guard;
    }

    /// <summary>Takes one permit for a refusal of a caller without a valid token; false with the wait when its IP has none left.</summary>
    public (bool Allowed, TimeSpan RetryAfter) Admit(string ip)
    {
        using var lease = _limiter.AttemptAcquire(ip);
        if (lease.IsAcquired)
        {
            return (true, TimeSpan.Zero);
        }

        return (false, lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : Options.AnonymousWindow);
    }

    /// <summary>True when this refusal is the first of its IP in the window and gets its own record; otherwise it is counted.</summary>
    public bool ShouldRecord(string ip, bool rateLimited)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_tallies.TryGetValue(ip, out var tally) && _tallies.Count >= Options.MaxTrackedCallers)
            {
                ip = Overflow;
                _tallies.TryGetValue(ip, out tally);
            }

            if (tally is null || now >= tally.Start + Options.AnonymousWindow)
            {
                if (tally is { Counted: > 0 })
                {
                    // The window ended between flushes: its summary goes out with the next flush.
                    _ended.Add((ip, tally));
                }

                _tallies[ip] = ip == Overflow
                    ? new Tally { Start = now, Last = now, Counted = 1, RateLimited = rateLimited ? 1 : 0 }
                    : new Tally { Start = now, Last = now };
                return ip != Overflow;
            }

            tally.Counted++;
            tally.RateLimited += rateLimited ? 1 : 0;
            tally.Last = now;
            return false;
        }
    }

    private readonly List<(string Ip, Tally Tally)> _ended = [];

    private async Task FlushAsync(bool all)
    {
        List<(string Ip, Tally Tally)> due;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            due = [.. _ended];
            _ended.Clear();
            foreach (var (ip, tally) in _tallies.Where(t => all || now >= t.Value.Start + Options.AnonymousWindow).ToList())
            {
                _tallies.Remove(ip);
                if (tally.Counted > 0)
                {
                    due.Add((ip, tally));
                }
            }
        }

        if (due.Count == 0)
        {
            return;
        }

        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
            foreach (var (ip, tally) in due)
            {
                var description = string.Create(CultureInfo.InvariantCulture,
                    $"{tally.Counted} more refusals of callers without a valid access token from {ip} between {tally.Start:O} and {tally.Last:O} ({tally.RateLimited} of them rate limited), after the one recorded on its own.");
                await audit.RecordProtocolRefusalAsync("invalid_token", description, AgentErrorCodes.RefusalsAggregated, new AuditContext
                {
                    GrantType = "api:anonymous",
                    ClientIp = ip == Overflow ? null : ip,
                }, CancellationToken.None);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The API answered already; a lost summary must not take the process down. Logged for the operator.
            LogSummaryLost(_logger, due.Sum(d => d.Tally.Counted), exception);
        }
    }

    public void Dispose()
    {
        _flush.Dispose();
        _limiter.Dispose();
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.RefusalSummaryNotAudited, EventName = nameof(LumoAgentsEventIds.RefusalSummaryNotAudited), Level = LogLevel.Warning, Message = "The audit summary of {Count} refusals without a valid token could not be written")]
    private static partial void LogSummaryLost(ILogger logger, int count, Exception exception);

    private sealed class Tally
    {
        public DateTimeOffset Start { get; init; }

        public DateTimeOffset Last { get; set; }

        public int Counted { get; set; }

        public int RateLimited { get; set; }
    }
}
