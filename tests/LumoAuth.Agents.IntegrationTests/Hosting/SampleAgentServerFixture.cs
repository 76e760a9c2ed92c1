using LumoAuth.Agents.SampleHost.Data;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// <see cref="AgentServerFixture"/> on the whole sample server instead of the library's test host, with the sample's
/// seeded tenant: for tests of the sample itself (its pages, its seed, its settings).
/// </summary>
public abstract class SampleAgentServerFixture(DatabaseKind database) : AgentServerFixture(database)
{
    public new const string ResearchBotSecret = DemoSeeder.ResearchBotSecret;
    public new const string SearchToolSecret = DemoSeeder.SearchToolSecret;

    /// <summary>The sample server, with its data folder and connection string.</summary>
    protected new SampleServer Server => (SampleServer)base.Server;

    protected override async Task<ITestServer> StartServerCoreAsync() => await SampleServer.StartAsync(Database, Settings);

    protected override string SecretOf(string agentId) => agentId switch
    {
        "research-bot" => ResearchBotSecret,
        "search-tool" => SearchToolSecret,
        _ => TestSecret,
    };
}
