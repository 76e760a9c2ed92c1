using System.Reflection;
using System.Xml.Linq;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Packaging;

/// <summary>
/// The packages under <c>src</c>, packed once from their build output into a folder feed with a version of their
/// own, so a restore can take them from nowhere else (not from nuget.org, not from an earlier run's copy in the
/// machine's package cache). Disposing removes that version from the machine's package cache again.
/// </summary>
internal sealed class PackedFeed : IDisposable
{
    private static readonly TimeSpan PackDeadline = TimeSpan.FromMinutes(3);

    private PackedFeed(string repositoryRoot, string directory, string version)
    {
        RepositoryRoot = repositoryRoot;
        Directory = directory;
        Version = version;
    }

    /// <summary>The folder holding this repository's sources.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The folder feed holding the <c>.nupkg</c> files.</summary>
    public string Directory { get; }

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; }

    /// <summary>The packages in the feed, one per project under <c>src</c>.</summary>
    public IReadOnlyList<string> PackagePaths => System.IO.Directory.GetFiles(Directory, "*.nupkg").Order(StringComparer.Ordinal).ToList();

    /// <summary>The projects under <c>src</c>, by package id.</summary>
    public IReadOnlyList<string> ProjectIds => System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories)
        .Select(Path.GetFileNameWithoutExtension).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Packs every project under <c>src</c> in one <c>dotnet pack</c>, without building: the test run's build already
    /// compiled them, in the configuration this test assembly was built in.
    /// </summary>
    public static async Task<PackedFeed> PackAsync(string workDirectory)
    {
        var root = Repository.Root;
        var feed = new PackedFeed(root, Path.Combine(workDirectory, "feed"), "0.0.0-quickstart-" + Guid.NewGuid().ToString("N"));
        var configuration = typeof(PackedFeed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

        // One pack for the six projects: a traversal file naming them, so the references between them become package
        // dependencies on this same version.
        var traversal = Path.Combine(workDirectory, "pack.proj");
        new XDocument(
            new XElement("Project",
                new XElement("ItemGroup", new XElement("PackProject", new XAttribute("Include", Path.Combine(root, "src", "*", "*.csproj")))),
                new XElement("Target", new XAttribute("Name", "Pack"),
                    new XElement("MSBuild", new XAttribute("Projects", "@(PackProject)"), new XAttribute("Targets", "Pack"), new XAttribute("BuildInParallel", "true")))))
            .Save(traversal);

        await DotnetCommand.RunAsync(workDirectory, PackDeadline,
            "pack", traversal, "--no-build", "--no-restore", "-nologo", "-c", configuration,
            "-p:PackageVersion=" + feed.Version,
            "-p:PackageOutputPath=" + feed.Directory + Path.DirectorySeparatorChar,
            // The generated .nuspec files go to the scratch folder, not into the projects' obj folders.
            "-p:NuspecOutputPath=" + Path.Combine(workDirectory, "nuspec") + Path.DirectorySeparatorChar);
        return feed;
    }

    /// <summary>The version <c>Directory.Packages.props</c> pins for a package the sources use.</summary>
    public string? CentralVersionOf(string packageId) =>
        XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .FirstOrDefault(p => string.Equals((string?)p.Attribute("Include"), packageId, StringComparison.OrdinalIgnoreCase))
            ?.Attribute("Version")?.Value;

    /// <summary>
    /// A <c>nuget.config</c> with the repository's own package sources (nuget.org) and this feed before them.
    /// </summary>
    public XDocument NuGetConfig()
    {
        var config = XDocument.Load(Path.Combine(RepositoryRoot, "nuget.config"));
        var sources = config.Root!.Element("packageSources") ?? throw new InvalidOperationException("nuget.config names no packageSources.");
        var add = new XElement("add", new XAttribute("key", "lumoauth-agents-packed"), new XAttribute("value", Directory));
        if (sources.Element("clear") is { } clear)
        {
            clear.AddAfterSelf(add);
        }
        else
        {
            sources.AddFirst(add);
        }

        return config;
    }

    /// <summary>Removes this version's packages from the machine's package cache, where the restore put them.</summary>
    public void Dispose()
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in ProjectIds)
        {
            var versions = Path.Combine(cache, id.ToLowerInvariant());
            var extracted = Path.Combine(versions, Version);
            if (System.IO.Directory.Exists(extracted))
            {
                System.IO.Directory.Delete(extracted, recursive: true);
            }

            if (System.IO.Directory.Exists(versions) && !System.IO.Directory.EnumerateFileSystemEntries(versions).Any())
            {
                System.IO.Directory.Delete(versions);
            }
        }
    }
}
