using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.SampleAgent;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The sample agent's whole story against the sample host and the sample API: four patterns, the refusals, and a human
/// approval (OpenID CIBA) given and one denied on Alice's approvals page.
/// </summary>
public sealed class SampleAgentStoryTests
{
    [Test]
    public async Task The_sample_agent_runs_the_four_patterns_and_shows_each_refusal()
    {
        // The strict setting: agents authenticate on exchanges too (RFC 8693 §5); the sample agent does.
        await using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite,
            new Dictionary<string, string?> { ["LumoAgents:RequireClientAuthenticationForExchange"] = "true" });
        await using var api = await SampleApiHost.StartAsync(server);
        using var output = new StringWriter();
        var demo = await AgentDemo.RunAsync(new DemoSettings { Host = server.BaseAddress, Api = api.BaseAddress, RedirectUri = new Uri(UserConsentFlow.RedirectUri) }, output, CancellationToken.None);
        var text = output.ToString();
        TestContext.Out.WriteLine(text);
        Assert.Multiple(() =>
        {
            Assert.That(demo.Steps.Where(s => !s.Passed).Select(s => s.Step), Is.Empty, text);
            Assert.That(demo.Steps, Has.Count.EqualTo(13));
            Assert.That(text, Does.Contain("bound to a key (DPoP)"), "the stolen token is refused without its key");
            Assert.That(text[text.IndexOf("== Pattern 1", StringComparison.Ordinal)..text.IndexOf("== Pattern 2", StringComparison.Ordinal)], Does.Contain("\"jkt\""),
                "Research Bot's own token carries its DPoP key's thumbprint");
            Assert.That(text, Does.Contain("in words: Research Bot, acting for Alice"));
            Assert.That(text, Does.Contain("the API says the caller is: Search Tool, used by Research Bot, acting for Alice"));
            Assert.That(text, Does.Contain("\"sub\": \"system:serviceaccount:agents:research-bot\""));
            Assert.That(text, Does.Contain("\"jkt\":"));
            Assert.That(text, Does.Contain("an actor chain of at most 1"));
            Assert.That(text, Does.Contain("429 TooManyRequests, Retry-After:"));
            Assert.That(text, Does.Contain("Signature-Error: error=replayed"));
            Assert.That(text, Does.Contain("invalid_grant (consent_missing)"));
            Assert.That(text, Does.Contain("invalid_grant (approval_required)"), "the exchange for write:articles is sent to ask Alice");
            Assert.That(text, Does.Contain("\"approval_id\""), "the approved token names the approval");
            Assert.That(text, Does.Contain("approved: [{\"type\":\"publish_article\""));
            Assert.That(text, Does.Contain("Denied, access_denied (approval_denied)"));
        });

        // Again within the hour: Digest Bot's budget is spent, so the token server refuses it a token; every step still holds.
        using var again = new StringWriter();
        var second = await AgentDemo.RunAsync(new DemoSettings { Host = server.BaseAddress, Api = api.BaseAddress, RedirectUri = new Uri(UserConsentFlow.RedirectUri) }, again, CancellationToken.None);
        Assert.That(second.Steps.Where(s => !s.Passed).Select(s => s.Step), Is.Empty, again.ToString());
        Assert.That(again.ToString(), Does.Contain("429 temporarily_unavailable (budget_exhausted)"));
    }
}
