using System.Threading.RateLimiting;

namespace LumoAuth.Agents.OpenIddict.Registration;

/// <summary>Where the registration endpoint was mapped (for discovery) and its per-IP limiter.</summary>
internal sealed class DynamicRegistrationState : IDisposable
{
    private PartitionedRateLimiter<string>? _limiter;
    private int _limit;
    private readonly Lock _lock = new();

    public string? Path { get; set; }

    public PartitionedRateLimiter<string> Limiter(int perHour)
    {
        lock (_lock)
        {
            if (_limiter is null || _limit != perHour)
            {
                _limiter?.Dispose();
                _limit = perHour;
                _limiter = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = perHour, Window = TimeSpan.FromHours(1), QueueLimit = 0,
                }));
            }

            return _limiter;
        }
    }

    public void Dispose() => _limiter?.Dispose();
}
