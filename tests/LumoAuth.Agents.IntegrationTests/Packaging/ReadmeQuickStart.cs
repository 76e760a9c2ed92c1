using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace LumoAuth.Agents.IntegrationTests.Packaging;

/// <summary>
/// The README's section "Add the pack to your own OpenIddict server" as a project: a new <c>dotnet new web</c>
/// project with the packages the README adds and the files it prints, each taken from the code block the README marks
/// with <c>&lt;!-- quickstart: NAME --&gt;</c>, so the test builds exactly what a user reads.
/// </summary>
internal static partial class ReadmeQuickStart
{
    /// <summary>The marked block naming the packages to add, one <c>dotnet add package</c> line each.</summary>
    public const string PackagesBlock = "packages";

    private static readonly TimeSpan TemplateDeadline = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan BuildDeadline = TimeSpan.FromMinutes(5);

    /// <summary>The marked code blocks of <paramref name="readme"/>, by the name in their marker.</summary>
    public static IReadOnlyDictionary<string, string> Blocks(string readme) =>
        MarkedBlock().Matches(readme.ReplaceLineEndings("\n")).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["code"].Value, StringComparer.Ordinal);

    /// <summary>The package ids of the README's <c>dotnet add package</c> lines.</summary>
    public static IReadOnlyList<string> Packages(string block) =>
        AddPackageLine().Matches(block).Select(m => m.Groups["id"].Value).ToList();

    /// <summary>
    /// Creates the project in <paramref name="directory"/>: <c>dotnet new web</c>, the README's packages at the
    /// packed version (the pack's own) or at the version this repository builds with (the others), its files over the
    /// template's, and a <c>nuget.config</c> with the packed feed before the repository's sources. Returns the project
    /// file.
    /// </summary>
    public static async Task<string> CreateAsync(string directory, string readme, PackedFeed feed)
    {
        var blocks = Blocks(readme);
        Assert.That(blocks.Keys, Does.Contain(PackagesBlock).And.Contain("Program.cs"), "the README's marked quick-start blocks");

        await DotnetCommand.RunAsync(Path.GetDirectoryName(directory)!, TemplateDeadline,
            "new", "web", "--name", "QuickStart", "--output", directory, "--no-restore");
        var project = Path.Combine(directory, "QuickStart.csproj");

        var references = new XElement("ItemGroup");
        foreach (var id in Packages(blocks[PackagesBlock]))
        {
            var version = id.StartsWith("LumoAuth.Agents", StringComparison.Ordinal)
                ? feed.Version
                : feed.CentralVersionOf(id) ?? throw new AssertionException($"The README adds {id}, which Directory.Packages.props does not pin.");
            references.Add(new XElement("PackageReference", new XAttribute("Include", id), new XAttribute("Version", version)));
        }

        Assert.That(references.Elements().Select(e => (string?)e.Attribute("Include")), Does.Contain("LumoAuth.Agents.OpenIddict"), "the README's packages");
        var csproj = XDocument.Load(project);
        csproj.Root!.Add(references);
        csproj.Save(project);
        feed.NuGetConfig().Save(Path.Combine(directory, "nuget.config"));

        foreach (var (name, code) in blocks.Where(b => b.Key != PackagesBlock))
        {
            await File.WriteAllTextAsync(Path.Combine(directory, name), code);
        }

        return project;
    }

    /// <summary>
    /// Restores and builds the project once, with warnings as errors (a snippet that warns is not one a user can
    /// paste), into <c>out</c> next to it. Returns the built assembly.
    /// </summary>
    public static async Task<string> BuildAsync(string project)
    {
        var directory = Path.GetDirectoryName(project)!;
        var output = Path.Combine(directory, "out");
        await DotnetCommand.RunAsync(directory, BuildDeadline,
            "build", project, "-nologo", "-clp:ErrorsOnly", "-p:TreatWarningsAsErrors=true", "-o", output);
        return Path.Combine(output, "QuickStart.dll");
    }

    [GeneratedRegex(@"^<!--\s*quickstart:\s*(?<name>\S+)\s*-->\n```[^\n]*\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    [GeneratedRegex(@"^dotnet add package (?<id>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AddPackageLine();
}
