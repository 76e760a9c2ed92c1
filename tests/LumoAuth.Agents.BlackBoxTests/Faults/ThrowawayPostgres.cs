using System.Diagnostics;
using LumoAuth.Agents.BlackBoxTests.Hosting;
using Npgsql;

namespace LumoAuth.Agents.BlackBoxTests.Faults;

/// <summary>
/// A PostgreSQL server of the fault tests' own, in a temporary folder on a free loopback port, that the tests may
/// stop and start at will (never the shared server the other tests use). Found and run the way scripts/postgres.sh
/// does: pg_ctl from PATH or /usr/lib/postgresql/*/bin, run as the postgres user when the tests run as root.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgresUser;

    private ThrowawayPostgres(string bin, string folder, int port, bool asPostgresUser)
    {
        _bin = bin;
        _folder = folder;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The server's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The folder holding pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? FindBin()
    {
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "pg_ctl"))
            .Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_ctl")) : []);
        foreach (var candidate in candidates.Where(File.Exists))
        {
            var target = File.ResolveLinkTarget(candidate, returnFinalTarget: true)?.FullName ?? candidate;
            return Path.GetDirectoryName(target);
        }

        return null;
    }

    /// <summary>Initializes and starts a server; the caller owns it.</summary>
    public static async Task<ThrowawayPostgres> StartAsync(string bin)
    {
        var folder = Directory.CreateTempSubdirectory("lumo-faults-pg-").FullName;
        var asPostgresUser = (await RunAsync("id", ["-u"], check: true)).Trim() == "0";
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        }
        if (asPostgresUser)
        {
            await RunAsync("chown", ["postgres", folder], check: true);
        }

        var server = new ThrowawayPostgres(bin, folder, SampleHostProcess.FreePort(), asPostgresUser);
        await server.PgAsync("initdb", ["-D", server.Data, "-U", "lumo", "--auth=trust", "-E", "UTF8"]);
        await server.StartAgainAsync();
        return server;
    }

    private string Data => Path.Combine(_folder, "data");

    /// <summary>A connection string for one database (created by whoever first needs it).</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=lumo;Database={database};Pooling=true;Timeout=5;Command Timeout=15";

    /// <summary>Starts the server (again) and waits for it to accept connections.</summary>
    public Task StartAgainAsync() => PgAsync("pg_ctl", ["-D", Data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off", "start"]);

    /// <summary>Stops the server the way an operator would for maintenance: <c>pg_ctl stop -m fast</c>.</summary>
    public Task StopFastAsync() => PgAsync("pg_ctl", ["-D", Data, "-m", "fast", "-w", "stop"]);

    /// <summary>How many audit records each token id has.</summary>
    public async Task<Dictionary<string, int>> AuditRecordsByTokenIdAsync(string database)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"TokenId\", COUNT(*) FROM \"LumoAgentsAuditRecords\" WHERE \"TokenId\" IS NOT NULL GROUP BY \"TokenId\"", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts;
    }

    private async Task PgAsync(string tool, string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        if (_asPostgresUser)
        {
            await RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], check: true);
        }
        else
        {
            await RunAsync(path, arguments, check: true);
        }
    }

    private static async Task<string> RunAsync(string file, string[] arguments, bool check)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }

        return await output;
    }

    /// <summary>Stops the server at once and removes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgAsync("pg_ctl", ["-D", Data, "-m", "immediate", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the system's temp cleaning.
        }
    }
}
