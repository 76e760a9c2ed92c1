namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>The database a test runs against.</summary>
public enum DatabaseKind
{
    /// <summary>An embedded SQLite file, the sample's default.</summary>
    Sqlite,

    /// <summary>A real PostgreSQL server: the one named by <c>LUMO_TEST_POSTGRES</c> (the test script starts one).</summary>
    PostgreSql,

    /// <summary>A real SQL Server in a container, where a Docker engine answers.</summary>
    SqlServer,
}
