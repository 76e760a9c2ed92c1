using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LumoAuth.Agents.SampleHost.Data;

/// <summary>
/// Brings the sample's database to a usable state at start-up: the schema, then the demo tenant. Several instances may
/// start at once on one empty PostgreSQL database; they take turns under an advisory lock, so one creates the database,
/// the tables and the seed, and the others find them done.
/// </summary>
internal static class SampleDatabase
{
    // Long enough for another instance to create the schema on a busy machine; short enough that a stuck holder
    // fails this start with a reason instead of leaving it waiting for ever.
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(120);

    public static async Task PrepareAsync(IServiceProvider services, Uri publicOrigin, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApplicationDbContext>();
        if (db.Database.IsSqlite())
        {
            // The embedded default is migrated, so a data folder from an earlier version is brought up to date.
            await db.Database.MigrateAsync(cancellationToken);
            await DemoSeeder.SeedAsync(scope.ServiceProvider, publicOrigin, cancellationToken);
            return;
        }

        // Other providers are for trials against an empty database; a production host ships its own migrations.
        await using var turn = db.Database.IsNpgsql()
            ? await TakeTurnAsync(db.Database.GetConnectionString()!, cancellationToken)
            : null;
        await db.Database.EnsureCreatedAsync(cancellationToken);
        await DemoSeeder.SeedAsync(scope.ServiceProvider, publicOrigin, cancellationToken);
    }

    /// <summary>
    /// Holds a session-level advisory lock named after the target database until the returned connection is closed
    /// (closing releases it, as does the holder's death). The lock is taken in the maintenance database, because the
    /// target may not exist yet; a role that may not connect there takes it in the target database instead.
    /// </summary>
    private static async Task<NpgsqlConnection> TakeTurnAsync(string connectionString, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var targetName = target.Database ?? target.Username ?? "postgres";
        foreach (var database in new[] { "postgres", targetName })
        {
            var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString)
            {
                Database = database,
                Pooling = false, // closing must end the session, or the lock would outlive this start in a pool
            }.ConnectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
            }
            catch (PostgresException exception) when (database != targetName && exception.SqlState is PostgresErrorCodes.InvalidCatalogName
                                                          or PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidAuthorizationSpecification)
            {
                await connection.DisposeAsync();
                continue;
            }

            try
            {
                await using var command = new NpgsqlCommand(
                    $"SET lock_timeout = '{(int)LockWait.TotalSeconds}s'; SELECT pg_advisory_lock(hashtext('lumoauth-agents-sample-schema:' || @database));",
                    connection)
                {
                    CommandTimeout = (int)LockWait.TotalSeconds + 10,
                };
                command.Parameters.AddWithValue("database", targetName);
                await command.ExecuteNonQueryAsync(cancellationToken);
                return connection;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        throw new InvalidOperationException("unreachable: the target database is always tried last");
    }
}
