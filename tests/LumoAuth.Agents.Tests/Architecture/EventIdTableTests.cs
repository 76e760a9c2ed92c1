using System.Reflection;
using System.Text.RegularExpressions;
using LumoAuth.Agents.Diagnostics;

namespace LumoAuth.Agents.Tests.Architecture;

/// <summary>One table of log events: each id means one thing, and every log site takes its id and name from it.</summary>
public partial class EventIdTableTests
{
    private static Dictionary<string, int> Table() => typeof(LumoAgentsEventIds).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!, StringComparer.Ordinal);

    private static List<(string File, string Attribute)> LogSites() =>
        [.. Directory.EnumerateFiles(Path.Combine(Repository.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => LoggerMessage().Matches(File.ReadAllText(f)).Select(m => (Path.GetRelativePath(Repository.Root, f), m.Value)))];

    [Test]
    public void Every_id_in_the_table_means_one_event()
    {
        var duplicates = Table().GroupBy(e => e.Value).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Key))}");
        Assert.That(duplicates, Is.Empty);
    }

    [Test]
    public void Every_log_site_takes_its_id_and_name_from_the_table()
    {
        var sites = LogSites();
        Assert.That(sites, Is.Not.Empty);
        var table = Table();
        foreach (var (file, attribute) in sites)
        {
            var match = TableReference().Match(attribute);
            Assert.That(match.Success, Is.True, $"{file}: {attribute} must say EventId = LumoAgentsEventIds.X, EventName = nameof(LumoAgentsEventIds.X).");
            Assert.That(match.Groups["id"].Value, Is.EqualTo(match.Groups["name"].Value), $"{file}: {attribute} names another event than its id.");
            Assert.That(table, Does.ContainKey(match.Groups["id"].Value), file);
        }
    }

    [Test]
    public void Every_event_in_the_table_is_logged_exactly_once()
    {
        var used = LogSites().Select(s => TableReference().Match(s.Attribute)).Where(m => m.Success).GroupBy(m => m.Groups["id"].Value)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var name in Table().Keys)
        {
            Assert.That(used.GetValueOrDefault(name), Is.EqualTo(1), $"LumoAgentsEventIds.{name} is logged {used.GetValueOrDefault(name)} times.");
        }
    }

    [GeneratedRegex(@"\[LoggerMessage\([^\]]*\)\]")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"EventId = LumoAgentsEventIds\.(?<id>\w+), EventName = nameof\(LumoAgentsEventIds\.(?<name>\w+)\)")]
    private static partial Regex TableReference();
}
