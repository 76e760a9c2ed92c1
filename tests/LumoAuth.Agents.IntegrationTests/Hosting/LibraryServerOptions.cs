using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>How a fixture wants its <see cref="LibraryServer"/>.</summary>
public sealed record LibraryServerOptions
{
    public DatabaseKind Database { get; init; } = DatabaseKind.Sqlite;

    /// <summary>Configuration over the defaults (<c>LumoAgents:DefaultAudience</c> = <c>acme-corp-api</c>), e.g. <c>LumoAgents:...</c> options.</summary>
    public IDictionary<string, string?>? Settings { get; init; }

    /// <summary>The host environment; Development unless said, as a host under <c>dotnet run</c> is.</summary>
    public string? Environment { get; init; }

    /// <summary>Pins the token issuer; without it the issuer is the address each request came in on.</summary>
    public Uri? Issuer { get; init; }

    /// <summary>Replaces or adds services after the host's own registrations (a failing store, a fake clock).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>
    /// Another instance of the same deployment: this one uses its database (already created and seeded), its keys and
    /// its pinned issuer, as a second server behind one public name would.
    /// </summary>
    public LibraryServer? SharedWith { get; init; }

    /// <summary>The connection string to use instead of a new database (e.g. one that goes through a relay the test can cut).</summary>
    public string? ConnectionString { get; init; }
}
