using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>Runs <see cref="AuditRetention"/> every <see cref="LumoAgentsOptions.AuditRetentionInterval"/>.</summary>
internal sealed partial class AuditRetentionService(IServiceScopeFactory scopes, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time, ILogger<AuditRetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CurrentValue.AuditRetentionInterval, time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var removed = await scope.ServiceProvider.GetRequiredService<AuditRetention>().PurgeAsync(stoppingToken);
                if (removed > 0)
                {
                    LogPurged(logger, removed);
                }
            }
#pragma warning disable CA1031 // A failed run is retried at the next interval; the host must keep serving.
            catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.AuditRecordsPurged, EventName = nameof(LumoAgentsEventIds.AuditRecordsPurged), Level = LogLevel.Information, Message = "Removed {Count} audit records past their retention.")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(EventId = LumoAgentsEventIds.AuditPurgeFailed, EventName = nameof(LumoAgentsEventIds.AuditPurgeFailed), Level = LogLevel.Warning, Message = "Removing expired audit records failed; it is retried at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
