using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.Audit;

/// <summary>
/// Group commit for the audit trail: records written while a commit is in flight wait and go together in the next one,
/// so under load many requests share one round trip and one fsync. Every caller still returns only after its record is
/// durably stored (or with the store's exception, so no token goes out unrecorded). Nothing is delayed on purpose:
/// a lone request commits at once.
/// </summary>
public sealed class AuditWriter
{
    private const int MaxBatch = 256;
    private readonly IServiceScopeFactory _scopes;
    private readonly Lock _gate = new();
    private List<(AuditRecord Record, TaskCompletionSource Done)> _pending = [];
    private bool _draining;

    /// <summary>Creates the writer; each batch is written through an <see cref="IAuditStore"/> from a scope of its own.</summary>
    public AuditWriter(IServiceScopeFactory scopes) => _scopes = scopes;

    /// <summary>Writes <paramref name="record"/>; completes once it is stored.</summary>
    public Task WriteAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _pending.Add((record, done));
            start = !_draining;
            _draining = true;
        }

        if (start)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<(AuditRecord Record, TaskCompletionSource Done)> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _draining = false;
                    return;
                }

                batch = _pending.Count <= MaxBatch ? _pending : _pending[..MaxBatch];
                _pending = _pending.Count <= MaxBatch ? [] : _pending[MaxBatch..];
            }

            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<IAuditStore>();
                await store.WriteManyAsync([.. batch.Select(b => b.Record)], CancellationToken.None).ConfigureAwait(false);
                foreach (var (_, done) in batch)
                {
                    done.TrySetResult();
                }
            }
#pragma warning disable CA1031 // The store's failure belongs to every caller of the batch.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(exception);
                }
            }
        }
    }
}
