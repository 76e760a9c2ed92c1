using Microsoft.EntityFrameworkCore;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>The test host's one database: OpenIddict's tables and the pack's, as the README has a host declare them.</summary>
public sealed class LibraryDbContext(DbContextOptions<LibraryDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.UseLumoAgents();
    }
}
