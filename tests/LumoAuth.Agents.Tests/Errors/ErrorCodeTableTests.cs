using System.Text.RegularExpressions;
using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Tests.Errors;

/// <summary>
/// One table of stable codes: every code the code base declares is documented in docs/errors.md and emitted somewhere,
/// every documented code is declared, and no code is spelled as a bare literal outside its declaration (a literal can
/// drift from the table unnoticed).
/// </summary>
public partial class ErrorCodeTableTests
{
    private static readonly string Root = LumoAuth.Agents.Tests.Architecture.Repository.Root;

    /// <summary>The files that declare codes: the core's table and the OpenIddict integration's protocol codes.</summary>
    private static readonly string[] DeclaringFiles =
    [
        Path.Combine("src", "LumoAuth.Agents", "Errors", "AgentErrorCodes.cs"),
        Path.Combine("src", "LumoAuth.Agents.OpenIddict", "Tokens", "ProtocolErrorCodes.cs"),
    ];

    /// <summary>
    /// Packages that cannot reference the core (the client) repeat the codes they act on; each must be a declared code.
    /// </summary>
    private static readonly string[] MirroringFiles =
    [
        Path.Combine("src", "LumoAuth.Agents.Client", "Tokens", "TokenServerErrorCodes.cs"),
    ];

    /// <summary>Codes that are also standard OAuth error names (RFC 6750), legitimately written as the wire error.</summary>
    private static readonly HashSet<string> AlsoOAuthErrors = new(StringComparer.Ordinal) { "insufficient_scope" };

    private static Dictionary<string, string> DeclaredCodes() =>
        DeclaringFiles.SelectMany(f => ConstDeclaration().Matches(File.ReadAllText(Path.Combine(Root, f))))
            .ToDictionary(m => m.Groups["value"].Value, m => m.Groups["name"].Value, StringComparer.Ordinal);

    private static HashSet<string> DocumentedCodes() =>
        [.. Anchor().Matches(File.ReadAllText(Path.Combine(Root, "docs", "errors.md"))).Select(m => m.Groups[1].Value)];

    private static IEnumerable<(string Path, string[] Lines)> SourceFiles() =>
        Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Path.GetRelativePath(Root, f), File.ReadAllLines(f)));

    [Test]
    public void Every_declared_code_is_documented_and_every_documented_code_is_declared()
    {
        var declared = DeclaredCodes().Keys.ToHashSet(StringComparer.Ordinal);
        var documented = DocumentedCodes();
        TestContext.Out.WriteLine($"{declared.Count} codes declared, {documented.Count} documented");
        Assert.Multiple(() =>
        {
            Assert.That(declared.Except(documented).Order(), Is.Empty, "declared but missing from docs/errors.md");
            Assert.That(documented.Except(declared).Order(), Is.Empty, "documented but declared nowhere");
            Assert.That(declared, Has.Count.GreaterThan(50), "the declarations were found");
        });
    }

    [Test]
    public void Every_declared_code_is_emitted_somewhere()
    {
        var files = SourceFiles().ToList();
        var unused = new List<string>();
        foreach (var (code, name) in DeclaredCodes())
        {
            var word = new Regex($@"\b{name}\b");
            var uses = files.Sum(f => f.Lines.Count(line => word.IsMatch(line) && !line.Contains($"const string {name} ", StringComparison.Ordinal)));
            if (uses == 0)
            {
                unused.Add($"{code} ({name})");
            }
        }

        Assert.That(unused, Is.Empty, "declared and documented, but nothing emits it");
    }

    [Test]
    public void No_code_is_written_as_a_bare_literal_outside_its_declaration()
    {
        var codes = DeclaredCodes().Keys.Where(c => !AlsoOAuthErrors.Contains(c)).ToHashSet(StringComparer.Ordinal);
        var literals = new List<string>();
        foreach (var (path, lines) in SourceFiles().Where(f => !DeclaringFiles.Contains(f.Path) && !MirroringFiles.Contains(f.Path)))
        {
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match literal in StringLiteral().Matches(lines[i]))
                {
                    if (codes.Contains(literal.Groups[1].Value))
                    {
                        literals.Add($"{path}:{i + 1}: \"{literal.Groups[1].Value}\"");
                    }
                }
            }
        }

        Assert.That(literals, Is.Empty, "use the constant of AgentErrorCodes or ProtocolErrorCodes");
    }

    [Test]
    public void Every_code_a_package_repeats_is_a_declared_code()
    {
        var declared = DeclaredCodes().Keys.ToHashSet(StringComparer.Ordinal);
        var repeated = MirroringFiles.SelectMany(f => ConstDeclaration().Matches(File.ReadAllText(Path.Combine(Root, f)))).Select(m => m.Groups["value"].Value).ToList();
        Assert.That(repeated, Is.Not.Empty);
        Assert.That(repeated.Where(c => !declared.Contains(c)), Is.Empty, "repeated codes the server does not declare");
    }

    [GeneratedRegex("""public const string (?<name>\w+) = "(?<value>[a-z0-9_]+)";""")]
    private static partial Regex ConstDeclaration();

    [GeneratedRegex("""<a id="([a-z0-9_]+)"></a>""")]
    private static partial Regex Anchor();

    [GeneratedRegex("\"([a-z0-9_]+)\"")]
    private static partial Regex StringLiteral();
}

public class ErrorTextTests
{
    [TestCase("<script>alert(1)</script>", "?script?alert(1)?/script?")]
    [TestCase("read:articles", "read:articles")]
    [TestCase("a\"b\\c\u0000", "a?b?c?")]
    public void An_echoed_value_never_carries_markup_quotes_or_control_characters(string value, string echoed) =>
        Assert.That(ErrorText.Echo(value), Is.EqualTo(echoed));
}
