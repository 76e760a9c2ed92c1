using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LumoAuth.Agents.IntegrationTests.Browser;

/// <summary>
/// A person in a real, headless Chromium: Alice signs in and lets Research Bot act for her; as an administrator she
/// then sees her consent, the agents and their budgets, suspends and resumes an agent by clicking, and reads the audit
/// trail with each actor chain drawn as a path. Screenshots of the three pages are saved for the docs.
/// </summary>
public class AdminPagesBrowserTests
{
    /// <summary>Overrides where Chromium is looked for.</summary>
    public const string ChromiumVariable = "LUMO_CHROMIUM";

    private const string DefaultChromium = "/usr/bin/chromium";
    private const string TestAgent = "browser-test-bot";
    private const string Scopes = "read:articles search:web";

    private SampleServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _screenshots = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var chromium = FindChromium();
        _server = await SampleServer.StartAsync(DatabaseKind.Sqlite);
        var registration = await _server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = TestAgent,
            DisplayName = "Browser Test Bot",
            Owner = "browser tests",
            Capabilities = ["search:web"],
            DefaultScopes = ["search:web"],
            ClientSecret = AgentServerFixture.TestSecret,
            Budget = new BudgetPolicy { MaxApiCallsPerHour = 100 },
        }).AsTask());
        Assert.That(registration.Succeeded, Is.True, string.Join("; ", registration.Errors));

        // Some use, so the budget bars have something to show.
        var usage = await _server.WithServiceAsync<UsageOutcome, UsageReporter>(reporter =>
            reporter.ReportAsync(new UsageReport("research-bot", BudgetMetric.LlmTokensPerDay, 64_000, "browser-test-1"), default).AsTask());
        Assert.That(usage.Error, Is.Null);

        // Room for a busy two-core CI machine; a page that never shows what is expected still fails.
        SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
        // LUMO_SCREENSHOTS keeps the pictures (the docs' screenshots come from here); otherwise they go with the run's scratch.
        _screenshots = Environment.GetEnvironmentVariable("LUMO_SCREENSHOTS") is { Length: > 0 } keep
            ? Directory.CreateDirectory(keep).FullName
            : Scratch.Directory("screenshots-");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _server?.Dispose();
    }

    [Test]
    public async Task A_consent_given_in_the_browser_shows_on_the_admin_pages_where_an_agent_is_suspended_and_resumed()
    {
        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var origin = _server.BaseAddress.ToString().TrimEnd('/');

        // Research Bot's registered redirect URI is http://localhost/callback; the callback page of the server under
        // test answers for it, so the browser lands on a real page.
        string? callback = null;
        await context.RouteAsync(new Regex("^http://localhost/callback\\?"), async route =>
        {
            callback = route.Request.Url;
            await route.ContinueAsync(new RouteContinueOptions { Url = origin + "/callback" + new Uri(route.Request.Url).Query });
        });

        // 1. The agent sends Alice to the authorization endpoint; she is not signed in yet.
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await page.GotoAsync(origin + AuthorizeUrl(verifier));
        await Expect(page).ToHaveURLAsync(new Regex("/account/login\\?returnurl=", RegexOptions.IgnoreCase));
        await page.GetByLabel("User name").FillAsync("alice");
        await page.GetByLabel("Password").FillAsync(UserConsentFlow.AlicePassword);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();

        // 2. The consent page names the agent and the scopes; she allows.
        await Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync("Allow an agent to act for you?");
        await Expect(page.Locator("body")).ToContainTextAsync("Research Bot");
        await Expect(page.Locator("body")).ToContainTextAsync("search:web");
        await ScreenshotAsync(page, "consent.png");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Allow" }).ClickAsync();

        // 3. The callback page shows the authorization code.
        await Expect(page.Locator("body")).ToContainTextAsync("Authorization code:");
        Assert.That(callback, Does.Contain("code="), "the browser was not sent to the agent's redirect URI");
        await DelegateThroughTwoAgentsAsync(callback!, verifier);

        // 4. The agents page: every agent with status and capabilities, Alice's consent and the budgets.
        await page.GotoAsync(origin + "/admin/agents");
        await Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Agents", Exact = true })).ToBeVisibleAsync();
        var researchBot = page.Locator("#agent-research-bot");
        var consent = researchBot.Locator("tr", new LocatorLocatorOptions { HasText = "alice" });
        await Expect(consent).ToContainTextAsync(Scopes);
        await Expect(consent).ToContainTextAsync("yes");
        await Expect(researchBot).ToHaveAttributeAsync("data-status", "active");
        await Expect(researchBot).ToContainTextAsync("delegate:user");
        await Expect(researchBot).ToContainTextAsync("64,000 / 200,000");
        await Expect(page.Locator("#agent-search-tool")).ToContainTextAsync("search:web");
        var testBot = page.Locator("#agent-" + TestAgent);
        await Expect(testBot).ToContainTextAsync("Browser Test Bot");
        await Expect(testBot.Locator(".tag")).ToHaveTextAsync("active");

        // 5. Suspend, seen on the page and in the store; then resume.
        await testBot.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Suspend" }).ClickAsync();
        await Expect(testBot).ToHaveAttributeAsync("data-status", "suspended");
        await Expect(testBot.Locator(".tag")).ToHaveTextAsync("suspended");
        Assert.That((await FindAsync(TestAgent))!.Status, Is.EqualTo(AgentStatus.Suspended));
        await ScreenshotAsync(page, "admin-agents.png");

        await testBot.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Resume" }).ClickAsync();
        await Expect(testBot).ToHaveAttributeAsync("data-status", "active");
        Assert.That((await FindAsync(TestAgent))!.Status, Is.EqualTo(AgentStatus.Active));

        // 6. Revoke asks first; declining changes nothing.
        var question = new TaskCompletionSource<string>();
        page.Dialog += async (_, dialog) =>
        {
            question.TrySetResult(dialog.Message);
            await dialog.DismissAsync();
        };
        await testBot.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Revoke" }).ClickAsync();
        Assert.That(await question.Task.WaitAsync(TimeSpan.FromSeconds(10)), Does.Contain("can never be made active again"));
        await Expect(testBot).ToHaveAttributeAsync("data-status", "active");
        Assert.That((await FindAsync(TestAgent))!.Status, Is.EqualTo(AgentStatus.Active));

        // 7. The audit trail: the consent, the suspension and resumption, and the delegated chain as a path.
        await page.GotoAsync(origin + "/admin/audit");
        var consentRow = page.Locator("tr[data-event='consent:grant'][data-agent='research-bot']");
        await Expect(consentRow).ToContainTextAsync("consent given");
        await Expect(consentRow.Locator(".path")).ToHaveTextAsync("alice→Research Bot");
        await Expect(consentRow.Locator(".words")).ToHaveTextAsync("Research Bot, acting for alice");
        var suspension = page.Locator($"tr[data-event='admin:suspend'][data-agent='{TestAgent}']");
        await Expect(suspension.Locator(".tag")).ToHaveTextAsync("changed");
        await Expect(suspension).ToContainTextAsync("user:alice");
        await Expect(suspension.Locator(".path")).ToHaveTextAsync("Browser Test Bot");
        await Expect(page.Locator($"tr[data-event='admin:resume'][data-agent='{TestAgent}']")).ToHaveCountAsync(1);
        var hop = page.Locator("tr[data-event='urn:ietf:params:oauth:grant-type:token-exchange'][data-agent='search-tool']");
        await Expect(hop.Locator(".tag")).ToHaveTextAsync("issued");
        await Expect(hop.Locator(".path")).ToHaveTextAsync("alice→Research Bot→Search Tool");
        await Expect(hop.Locator(".words")).ToHaveTextAsync("Search Tool, used by Research Bot, acting for alice");
        await ScreenshotAsync(page, "admin-audit.png");

        // 8. Filtered by agent and outcome: only the test agent's two changes.
        await page.GotoAsync(origin + $"/admin/audit?agent={TestAgent}&outcome=changed");
        var rows = page.Locator("tr[data-event]");
        await Expect(rows).ToHaveCountAsync(2);
        Assert.That(await rows.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.agent)"), Is.All.EqualTo(TestAgent));
        TestContext.Out.WriteLine($"Screenshots: {_screenshots}");
    }

    /// <summary>Redeems the code for Alice's token and passes it on: Research Bot to Search Tool, as the seed's pattern 3.</summary>
    private async Task DelegateThroughTwoAgentsAsync(string callback, string verifier)
    {
        using var http = _server.Http();
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(callback).Query)["code"].ToString();
        var alice = await TokenEndpoint.PostAsync(http,
        [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", UserConsentFlow.RedirectUri),
            ("client_id", "research-bot"), ("client_secret", SampleAgentServerFixture.ResearchBotSecret), ("code_verifier", verifier),
        ]);
        var researchBot = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", SampleAgentServerFixture.ResearchBotSecret);
        var hop1 = await TokenEndpoint.PostAsync(http, TokenEndpoint.Exchange(alice.AccessToken, researchBot.AccessToken, Scopes, "search-tool"));
        var searchTool = await TokenEndpoint.ClientCredentialsAsync(http, "search-tool", SampleAgentServerFixture.SearchToolSecret);
        var hop2 = await TokenEndpoint.PostAsync(http, TokenEndpoint.Exchange(hop1.AccessToken, searchTool.AccessToken));
        Assert.That(hop2.Status, Is.EqualTo(System.Net.HttpStatusCode.OK), hop2.ToString());
    }

    private static string AuthorizeUrl(string verifier)
    {
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return "/connect/authorize?" + string.Join('&', new Dictionary<string, string>
        {
            ["client_id"] = "research-bot",
            ["response_type"] = "code",
            ["redirect_uri"] = UserConsentFlow.RedirectUri,
            ["scope"] = Scopes,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = "s-" + Guid.NewGuid().ToString("N"),
        }.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
    }

    private Task<AgentProfile?> FindAsync(string id) =>
        _server.WithServiceAsync<AgentProfile?, IAgentStore>(store => store.FindAsync(id, default).AsTask());

    private async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(_screenshots, name);
        var viewport = page.ViewportSize!;

        // A short viewport with a full-page shot: the picture is as tall as the page's content, no blank space below.
        await page.SetViewportSizeAsync(viewport.Width, 200);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        Assert.That(new FileInfo(path).Length, Is.GreaterThan(1000), $"{name} is empty");
        TestContext.AddTestAttachment(path, name);
    }

    /// <summary>Chromium's path; a missing browser skips the test with the reason, except in CI, where it is a failure.</summary>
    internal static string FindChromium()
    {
        var path = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured ? configured : DefaultChromium;
        if (File.Exists(path))
        {
            return path;
        }

        var reason = $"Chromium is not installed at {path} (apt-get install chromium)";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(reason + $"; CI must run the browser test. Set {ChromiumVariable} to use another path.");
        }

        Assert.Ignore(reason);
        return path;
    }
}
