using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;

namespace LumoAuth.Agents.Tests.Architecture;

/// <summary>
/// Dependencies point one way: the core and HttpSignatures at the bottom, the four integration packages on top of
/// them and never on each other, and the MCP package on top of the resource-server package. Code two of them need is compiled into both as internal source (<c>src/Shared</c>).
/// </summary>
public class PackageGraphTests
{
    private const string Core = "LumoAuth.Agents";
    private const string HttpSignatures = "LumoAuth.Agents.HttpSignatures";

    /// <summary>Each package and the only packages of ours it may depend on.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        [HttpSignatures] = [],
        [Core] = [HttpSignatures],
        ["LumoAuth.Agents.EntityFrameworkCore"] = [Core, HttpSignatures],
        ["LumoAuth.Agents.OpenIddict"] = [Core, HttpSignatures],
        ["LumoAuth.Agents.AspNetCore"] = [Core, HttpSignatures],
        ["LumoAuth.Agents.Client"] = [Core, HttpSignatures],

        // MCP servers are resource servers: the MCP package sits on top of the resource-server package.
        ["LumoAuth.Agents.Mcp"] = [Core, HttpSignatures, "LumoAuth.Agents.AspNetCore"],
    };

    private static string[] Packages() => [.. Allowed.Keys];

    [Test]
    public void Every_package_in_src_has_a_place_in_the_graph()
    {
        var projects = Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.That(projects, Is.EquivalentTo(Allowed.Keys), "A new package needs its allowed dependencies stated here.");
    }

    [TestCaseSource(nameof(Packages))]
    public void A_package_references_only_the_packages_below_it(string package)
    {
        var project = XDocument.Load(Path.Combine(Repository.Root, "src", package, package + ".csproj"));
        var references = project.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
            .ToList();
        Assert.That(references, Is.SubsetOf(Allowed[package]), $"{package} references a package it must not depend on.");
    }

    [TestCaseSource(nameof(Packages))]
    public void A_built_assembly_references_only_the_packages_below_it(string package)
    {
        // The compiled assembly is what a host loads: a reference that came in another way (a package, a props file)
        // shows here even when the project file looks clean.
        var path = BuiltAssembly(package);
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var ours = metadata.AssemblyReferences
            .Select(handle => metadata.GetString(metadata.GetAssemblyReference(handle).Name))
            .Where(name => name.StartsWith(Core, StringComparison.Ordinal))
            .ToList();
        Assert.That(ours, Is.SubsetOf(Allowed[package]), $"{path} references a package of ours it must not depend on.");
    }

    [Test]
    public void Shared_source_is_compiled_in_as_internal_code()
    {
        var shared = Directory.EnumerateFiles(Path.Combine(Repository.Root, "src", "Shared"), "*.cs", SearchOption.AllDirectories).ToList();
        Assert.That(shared, Is.Not.Empty);
        foreach (var file in shared)
        {
            var publicTypes = File.ReadLines(file).Where(line => line.StartsWith("public ", StringComparison.Ordinal)).ToList();
            Assert.That(publicTypes, Is.Empty, $"{Path.GetRelativePath(Repository.Root, file)} declares a public type; shared source must stay internal to each package that compiles it.");
        }
    }

    private static string BuiltAssembly(string package)
    {
        // The test runs from tests/<project>/bin/<Configuration>/<framework>/; the package was built beside it.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var path = Path.Combine(Repository.Root, "src", package, "bin", configuration, framework, package + ".dll");
        Assert.That(File.Exists(path), Is.True, $"{path} was not built; build the solution before the tests.");
        return path;
    }
}
