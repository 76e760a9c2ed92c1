using Npgsql;
using Testcontainers.MsSql;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// Finds a real database of each kind. PostgreSQL comes from <c>LUMO_TEST_POSTGRES</c> (an admin connection string;
/// <c>scripts/test.sh</c> starts a server and sets it); each caller gets a fresh database on it. SQL Server is
/// started with Testcontainers where a Docker engine answers. A missing database skips the test with the reason,
/// except in CI, where a missing PostgreSQL is a failure because the machine has one.
/// </summary>
public static class TestDatabases
{
    public const string PostgresVariable = "LUMO_TEST_POSTGRES";

    private static readonly SemaphoreSlim SqlServerGate = new(1, 1);
    private static MsSqlContainer? _sqlServer;

    public static string Provider(DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite => "Sqlite",
        DatabaseKind.PostgreSql => "PostgreSQL",
        _ => "SqlServer",
    };

    /// <summary>A connection string to a new, empty database (created on first use by EF Core).</summary>
    public static async Task<string> CreateAsync(DatabaseKind kind, string dataDirectory)
    {
        switch (kind)
        {
            case DatabaseKind.Sqlite:
                return $"Data Source={Path.Combine(dataDirectory, "test.db")}";

            case DatabaseKind.PostgreSql:
                var admin = Environment.GetEnvironmentVariable(PostgresVariable);
                if (string.IsNullOrEmpty(admin))
                {
                    var reason = $"PostgreSQL is not configured: set {PostgresVariable} to an admin connection string, or run scripts/test.sh, which starts PostgreSQL 15.";
                    if (IsCi)
                    {
                        Assert.Fail(reason);
                    }

                    Assert.Ignore(reason);
                }

                return new NpgsqlConnectionStringBuilder(admin) { Database = "lumo_" + Guid.NewGuid().ToString("N")[..16] }.ConnectionString;

            default:
                return await SqlServerAsync() + ";Database=lumo_" + Guid.NewGuid().ToString("N")[..16];
        }
    }

    private static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static async Task<string> SqlServerAsync()
    {
        await SqlServerGate.WaitAsync();
        try
        {
            if (_sqlServer is null)
            {
                if (!DockerAnswers())
                {
                    Assert.Ignore("No Docker engine answers on this machine; the SQL Server tests start SQL Server with Testcontainers.MsSql and need one.");
                }

                var container = new MsSqlBuilder("mcr.microsoft.com/mssql/server:2022-CU14-ubuntu-22.04").Build();
                await container.StartAsync();
                _sqlServer = container;
            }

            return _sqlServer.GetConnectionString();
        }
        finally
        {
            SqlServerGate.Release();
        }
    }

    private static bool DockerAnswers()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host))
        {
            return true;
        }

        if (!File.Exists("/var/run/docker.sock"))
        {
            return false;
        }

        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            socket.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint("/var/run/docker.sock"));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
