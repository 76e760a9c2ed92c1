using System.Net;
using System.Text.RegularExpressions;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LumoAuth.Agents.IntegrationTests.Browser;

/// <summary>
/// Human approval in a real, headless Chromium: Research Bot asks (OpenID CIBA) to publish; Alice signs in on her
/// approvals page, sees the agent, its chain in words, the binding message and the details, and approves by clicking;
/// Research Bot's next poll gets the token. A second request, denied on the page, ends in access_denied; the admin
/// approvals page lists both decisions.
/// </summary>
public class ApprovalBrowserTests
{
    private const string CibaGrant = "urn:openid:params:grant-type:ciba";
    private SampleServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var chromium = AdminPagesBrowserTests.FindChromium();
        _server = await SampleServer.StartAsync(DatabaseKind.Sqlite);
        SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
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

    private static async Task<string> AskAsync(HttpClient http, string message)
    {
        var started = await TokenEndpoint.PostAsync(http,
        [
            ("client_id", "research-bot"), ("client_secret", SampleAgentServerFixture.ResearchBotSecret), ("login_hint", "alice"),
            ("binding_message", message), ("authorization_details", """[{"type":"publish_article","actions":["publish"],"identifier":"article-2"}]"""),
        ], "/connect/ciba");
        Assert.That(started.Status, Is.EqualTo(HttpStatusCode.OK), started.ToString());
        return started["auth_req_id"]!;
    }

    private static Task<TokenResponse> PollAsync(HttpClient http, string id) => TokenEndpoint.PostAsync(http,
        [("grant_type", CibaGrant), ("auth_req_id", id), ("client_id", "research-bot"), ("client_secret", SampleAgentServerFixture.ResearchBotSecret)]);

    /// <summary>Polls as the agent would, at the interval, until the answer is not authorization_pending (or 20 s pass).</summary>
    private static async Task<TokenResponse> PollUntilDecidedAsync(HttpClient http, string id)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(5.1));
            var answer = await PollAsync(http, id);
            if (answer["error"] is not ("authorization_pending" or "slow_down") || DateTimeOffset.UtcNow > deadline)
            {
                return answer;
            }
        }
    }

    [Test]
    public async Task Alice_approves_on_her_approvals_page_and_the_agent_gets_its_token()
    {
        using var http = _server.Http();
        var publish = await AskAsync(http, "Publish the summary of article 2");
        Assert.That((await PollAsync(http, publish))["error"], Is.EqualTo("authorization_pending"));

        await using var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var origin = _server.BaseAddress.ToString().TrimEnd('/');
        await page.GotoAsync(origin + "/account/approvals");
        await Expect(page).ToHaveURLAsync(new Regex("/account/login\\?returnurl=", RegexOptions.IgnoreCase));
        await page.GetByLabel("User name").FillAsync("alice");
        await page.GetByLabel("Password").FillAsync(UserConsentFlow.AlicePassword);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();

        var item = page.Locator("li[data-approval]", new PageLocatorOptions { HasText = "Publish the summary of article 2" });
        await Expect(item).ToContainTextAsync("Research Bot, acting for alice");
        await Expect(item).ToContainTextAsync("write:articles");
        await Expect(item).ToContainTextAsync("publish_article");
        await Expect(item).ToHaveAttributeAsync("data-state", "waiting for you");
        await item.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Approve" }).ClickAsync();
        await Expect(page.Locator("li[data-approval]", new PageLocatorOptions { HasText = "Publish the summary of article 2" })).ToHaveAttributeAsync("data-state", "approved");

        var token = await PollUntilDecidedAsync(http, publish);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        var claims = TokenEndpoint.Payload(token.AccessToken);
        Assert.Multiple(() =>
        {
            Assert.That(claims["sub"]!.GetValue<string>(), Is.EqualTo("user:alice"));
            Assert.That(claims["act"]!["sub"]!.GetValue<string>(), Is.EqualTo("agent:research-bot"));
            Assert.That(claims["scope"]!.GetValue<string>(), Is.EqualTo("write:articles"));
            Assert.That(claims["authorization_details"]![0]!["identifier"]!.GetValue<string>(), Is.EqualTo("article-2"));
        });

        // A second request, which she denies on the page while it is open (it lists new requests as they come).
        var again = await AskAsync(http, "Publish it once more");
        var second = page.Locator("li[data-approval]", new PageLocatorOptions { HasText = "Publish it once more" });
        await Expect(second).ToHaveAttributeAsync("data-state", "waiting for you");
        await second.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Deny" }).ClickAsync();
        await Expect(page.Locator("li[data-approval]", new PageLocatorOptions { HasText = "Publish it once more" })).ToHaveAttributeAsync("data-state", "denied");
        var denied = await PollUntilDecidedAsync(http, again);
        Assert.That(denied["error"], Is.EqualTo("access_denied"), denied.ToString());

        // The admin pages list both decisions (Alice is one of the sample's administrators).
        await page.GotoAsync(origin + "/admin/approvals");
        await Expect(page.Locator("tr[data-approval]", new PageLocatorOptions { HasText = "Publish the summary of article 2" })).ToContainTextAsync("redeemed");
        await Expect(page.Locator("tr[data-approval]", new PageLocatorOptions { HasText = "Publish it once more" })).ToContainTextAsync("denied");
    }
}
