using System.Security.Cryptography;
using System.Text;
using LumoAuth.Agents.EntityFrameworkCore.Models;
using LumoAuth.Agents.HttpSignatures.Verification;
using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.EntityFrameworkCore.Stores;

/// <summary>
/// The EF Core <see cref="ISignatureNonceStore"/>: a nonce is spent by inserting its row under a primary key, so two
/// server instances racing on the same signed request cannot both accept it (on PostgreSQL and SQLite in one
/// <c>INSERT … ON CONFLICT DO NOTHING</c>, group-committed across concurrent requests). Expired rows are reused in place
/// and swept now and then.
/// </summary>
public sealed class LumoSignatureNonceStore<TContext> : ISignatureNonceStore where TContext : DbContext
{
    private static long _reservations;
    private readonly TContext _context;
    private readonly TimeProvider _time;

    private readonly SignatureNonceWriter<TContext>? _writer;

    /// <summary>Creates the store.</summary>
    public LumoSignatureNonceStore(TContext context, TimeProvider time)
        : this(context, time, null)
    {
    }

    /// <summary>Creates the store; with <paramref name="writer"/>, nonces are group-committed on PostgreSQL and SQLite.</summary>
    internal LumoSignatureNonceStore(TContext context, TimeProvider time, SignatureNonceWriter<TContext>? writer)
    {
        _context = context;
        _time = time;
        _writer = writer;
    }

    private DbSet<LumoSignatureNonceEntity> Nonces => _context.Set<LumoSignatureNonceEntity>();

    /// <summary>
    /// <c>INSERT … ON CONFLICT (Id) DO NOTHING</c> where the database has it (PostgreSQL, SQLite): true when the row was
    /// inserted, false when the key was held; null on other databases.
    /// </summary>
    private async ValueTask<bool?> TryInsertIgnoringConflictAsync(string id, DateTime keepUntil, CancellationToken cancellationToken)
    {
        if (!SupportsInsertIgnoringConflict(_context))
        {
            return null;
        }

        var statement = InsertStatementFor(_context);
        return await _context.Database.ExecuteSqlRawAsync(statement, [id, keepUntil], cancellationToken) == 1;
    }

    private static bool SupportsInsertIgnoringConflict(TContext context) =>
        context.Database.ProviderName is "Npgsql.EntityFrameworkCore.PostgreSQL" or "Microsoft.EntityFrameworkCore.Sqlite";

    /// <summary>The single-row insert statement for this context's model.</summary>
    private static string InsertStatementFor(TContext context)
    {
        var (table, id, keepUntil) = SignatureNonceTable.Of(context);
        return $"INSERT INTO {table} ({id}, {keepUntil}) VALUES ({{0}}, {{1}}) ON CONFLICT ({id}) DO NOTHING";
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryReserveAsync(string nonce, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nonce);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(nonce)));
        var now = _time.GetUtcNow().UtcDateTime;
        if (Interlocked.Increment(ref _reservations) % 256 == 0)
        {
            await Nonces.Where(n => n.KeepUntil < now).ExecuteDeleteAsync(cancellationToken);
        }

        // PostgreSQL and SQLite: concurrent requests share one statement (group commit), or, without the writer, each
        // spends its nonce in one statement; a replay costs no failed insert either way.
        if (_writer is not null && SupportsInsertIgnoringConflict(_context))
        {
            return await _writer.SpendAsync(id, keepUntil.UtcDateTime, now, cancellationToken);
        }

        if (await TryInsertIgnoringConflictAsync(id, keepUntil.UtcDateTime, cancellationToken) is { } inserted)
        {
            return inserted || await Nonces.Where(n => n.Id == id && n.KeepUntil <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.KeepUntil, keepUntil.UtcDateTime), cancellationToken) == 1;
        }

        // Elsewhere a replay finds its nonce here without provoking a failed insert; only a true race reaches the key check.
        if (await Nonces.AsNoTracking().AnyAsync(n => n.Id == id && n.KeepUntil > now, cancellationToken))
        {
            return false;
        }

        var row = new LumoSignatureNonceEntity { Id = id, KeepUntil = keepUntil.UtcDateTime };
        Nonces.Add(row);
        try
        {
            await _context.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            // The key exists: a replay, unless the earlier use has expired (then take it over atomically).
            var held = await Nonces.AsNoTracking().AnyAsync(n => n.Id == id, cancellationToken);
            if (!held)
            {
                throw;
            }

            return await Nonces.Where(n => n.Id == id && n.KeepUntil <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.KeepUntil, keepUntil.UtcDateTime), cancellationToken) == 1;
        }
        finally
        {
            _context.Entry(row).State = EntityState.Detached;
        }
    }
}
