namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The one check every refusal test shares: neither the body nor any header shows how the server failed (a stack
/// trace, an exception type, database or SQL text, the pack's own type names) or what it keeps to itself (secrets,
/// the caller's credentials).
/// </summary>
public static class NoLeak
{
    private static readonly string[] Internals =
    [
        "   at ", ".cs:line", "Npgsql", "SQLite Error", "SqliteError", "SELECT ", "INSERT ", "System.", "Microsoft.", "LumoAuth.Agents.",
        TestTenant.ResearchBotSecret, TestTenant.SearchToolSecret, TestTenant.ApiSecret, TestTenant.AdminSecret, TestTenant.LlmGatewaySecret,
        SampleAgentServerFixture.ResearchBotSecret, SampleAgentServerFixture.SearchToolSecret, LumoAuth.Agents.SampleHost.Data.DemoSeeder.ApiSecret,
    ];

    /// <summary>Asserts the answer is clean; <paramref name="secrets"/> are more values that must not come back.</summary>
    public static void In(HttpResponseMessage response, string body, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(response);
        var everything = body + "\n" + string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => h.Key + ": " + string.Join(", ", h.Value)));
        Assert.Multiple(() =>
        {
            foreach (var leak in Internals.Concat(secrets))
            {
                Assert.That(everything, Does.Not.Contain(leak), $"the answer reveals '{leak}'");
            }

            Assert.That(everything, Does.Not.Match(@"\bat [\w.`<>]+\(.*\) in |\n\s+at [\w.]+"), "a stack trace");
            Assert.That(everything, Does.Not.Match(@"\b\w+(\.\w+)*Exception\b"), "an exception type");
        });
    }

    /// <summary>Reads the body and asserts it is clean.</summary>
    public static async Task<string> InAsync(HttpResponseMessage response, params string[] secrets)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync();
        In(response, body, secrets);
        return body;
    }
}
