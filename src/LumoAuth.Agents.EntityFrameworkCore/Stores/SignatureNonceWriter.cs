using LumoAuth.Agents.EntityFrameworkCore.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>
/// Group commit for spent nonces (AAuth signatures, DPoP proofs) on PostgreSQL and SQLite: nonces spent while a write is
/// in flight wait and go together in the next one, one <c>INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING</c>,
/// so under load many requests share one statement and one commit. Each caller still learns, only once its row is
/// durably stored, whether it was the first to spend its nonce; two callers with the same nonce in one batch cannot both
/// be. Nothing is delayed on purpose: a lone request writes at once.
/// </summary>
internal sealed class SignatureNonceWriter<TContext> where TContext : DbContext
{
    private const int MaxBatch = 256;
    private readonly IServiceScopeFactory _scopes;
    private readonly Lock _gate = new();
    private List<Pending> _pending = [];
    private bool _draining;

    private sealed record Pending(string Id, DateTime KeepUntil, DateTime Now, TaskCompletionSource<bool> Done);

    public SignatureNonceWriter(IServiceScopeFactory scopes) => _scopes = scopes;

    /// <summary>True when this call stored <paramref name="id"/> (or took over its expired row); false for a replay.</summary>
    public Task<bool> SpendAsync(string id, DateTime keepUntil, DateTime now, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool start;
        lock (_gate)
        {
            _pending.Add(new Pending(id, keepUntil, now, done));
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
            List<Pending> batch;
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
                await WriteAsync(batch);
            }
#pragma warning disable CA1031 // Every waiting caller gets the failure; none is left hanging.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                foreach (var item in batch)
                {
                    item.Done.TrySetException(exception);
                }
            }
        }
    }

    private async Task WriteAsync(List<Pending> batch)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<TContext>();
        var (table, idColumn, keepColumn) = SignatureNonceTable.Of(context);

        // Within a batch the first caller of a nonce is the one that may win it; the others are replays.
        var first = new Dictionary<string, Pending>(StringComparer.Ordinal);
        foreach (var item in batch)
        {
            if (!first.TryAdd(item.Id, item))
            {
                item.Done.TrySetResult(false);
            }
        }

        var rows = first.Values.ToList();
        var values = string.Join(", ", rows.Select((_, i) => $"({{{2 * i}}}, {{{2 * i + 1}}})"));
        var parameters = rows.SelectMany(r => new object[] { r.Id, r.KeepUntil }).ToArray();
        var statement = $"INSERT INTO {table} ({idColumn}, {keepColumn}) VALUES {values} ON CONFLICT ({idColumn}) DO NOTHING RETURNING {idColumn} AS \"Value\"";
        var inserted = (await context.Database.SqlQueryRaw<string>(statement, parameters).ToListAsync()).ToHashSet(StringComparer.Ordinal);

        var nonces = context.Set<LumoSignatureNonceEntity>();
        foreach (var row in rows)
        {
            // A row that was there already is a replay, unless its use has expired: then take it over atomically.
            var won = inserted.Contains(row.Id) ||
                      await nonces.Where(n => n.Id == row.Id && n.KeepUntil <= row.Now)
                          .ExecuteUpdateAsync(s => s.SetProperty(n => n.KeepUntil, row.KeepUntil)) == 1;
            row.Done.TrySetResult(won);
        }
    }
}

/// <summary>The nonce table's delimited name and columns in a context's model, read once per model.</summary>
internal static class SignatureNonceTable
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IModel, Tuple<string, string, string>> Names = new();

    public static (string Table, string Id, string KeepUntil) Of(DbContext context)
    {
        var names = Names.GetValue(context.Model, _ =>
        {
            var entity = context.Model.FindEntityType(typeof(LumoSignatureNonceEntity))!;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var sql = context.GetService<ISqlGenerationHelper>();
            string Column(string property) => sql.DelimitIdentifier(entity.FindProperty(property)!.GetColumnName(table)!);
            return Tuple.Create(sql.DelimitIdentifier(table.Name, table.Schema), Column(nameof(LumoSignatureNonceEntity.Id)), Column(nameof(LumoSignatureNonceEntity.KeepUntil)));
        });
        return (names.Item1, names.Item2, names.Item3);
    }
}
