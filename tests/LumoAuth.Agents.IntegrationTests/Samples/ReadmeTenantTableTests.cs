using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>The README's table of the sample tenant says what the seeder registers.</summary>
public sealed class ReadmeTenantTableTests
{
    private SampleServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SampleServer.StartAsync(DatabaseKind.Sqlite);

    [OneTimeTearDown]
    public void Stop() => _server?.Dispose();

    [TestCase("Agent Research Bot", "research-bot")]
    [TestCase("Agent Search Tool", "search-tool")]
    [TestCase("Agent Digest Bot", "digest-bot")]
    [TestCase("Agent Research MCP", "research-mcp")]
    public async Task The_readme_lists_each_agents_seeded_allowed_tools(string row, string agentId)
    {
        var readme = await File.ReadAllLinesAsync(Path.Combine(Repository.Root, "README.md"));
        var cells = readme.Single(line => line.StartsWith("| " + row + " |", StringComparison.Ordinal)).Split('|').Select(c => c.Trim()).ToArray();
        var tools = System.Text.RegularExpressions.Regex.Replace(cells[^2], @"\([^)]*\)", string.Empty); // remarks in parentheses
        var documented = tools.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.Trim('`')).Order(StringComparer.Ordinal);

        var agent = await _server.WithServiceAsync<AgentProfile?, IAgentStore>(store => store.FindAsync(agentId, default).AsTask());
        Assert.That(documented, Is.EqualTo(agent!.AllowedTools.Order(StringComparer.Ordinal)), $"README row '{row}'");
    }
}
