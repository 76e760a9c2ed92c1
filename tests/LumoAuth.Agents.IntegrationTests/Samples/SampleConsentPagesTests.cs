using System.Net;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The sample's login, consent and consent-list pages: consent is given on the consent page, listed, and withdrawn by
/// the user there.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public class SampleConsentPagesTests(DatabaseKind database) : SampleAgentServerFixture(database)
{
    [Test]
    public async Task Consent_given_on_the_consent_page_is_recorded_for_those_scopes()
    {
        var consent = await Server.WithServiceAsync<ConsentGrant?, IConsentStore>(store => store.FindActiveAsync("user:alice", "research-bot", default).AsTask());
        Assert.That(consent, Is.Not.Null);
        Assert.That(consent!.Scopes, Does.Contain("read:articles").And.Contain("search:web"), "what Alice allowed (other tests may add to it)");
    }

    [Test]
    public async Task The_consent_page_names_the_agent_its_owner_scopes_and_tools()
    {
        using var browser = Server.Browser();
        await SignInAsync(browser);
        var page = await browser.GetStringAsync(new Uri(
            "/connect/authorize?client_id=research-bot&response_type=code&redirect_uri=" + Uri.EscapeDataString(UserConsentFlow.RedirectUri) +
            "&scope=read%3Aarticles&code_challenge=" + new string('a', 43) + "&code_challenge_method=S256&prompt=consent", UriKind.Relative));
        Assert.That(page, Does.Contain("Research Bot").And.Contain("acme-corp research team").And.Contain("read:articles").And.Contain("search-tool"));
    }

    [Test]
    public async Task An_agent_cannot_ask_a_user_for_scopes_beyond_its_capabilities()
    {
        using var browser = Server.Browser();
        await SignInAsync(browser);
        using var response = await browser.GetAsync(new Uri(
            "/connect/authorize?client_id=search-tool&response_type=code&redirect_uri=" + Uri.EscapeDataString(UserConsentFlow.RedirectUri) +
            "&scope=read%3Aarticles&code_challenge=" + new string('a', 43) + "&code_challenge_method=S256", UriKind.Relative));
        Assert.That(response.StatusCode, Is.Not.EqualTo(HttpStatusCode.OK), "no consent page may be shown");
        Assert.That(await ConsentOfAsync("search-tool"), Is.Null);
    }

    [Test]
    public async Task Alice_sees_her_consents_and_withdrawing_one_refuses_the_next_exchange()
    {
        // Its own agent: a withdrawal kills the tokens issued under the consent for good, so the shared ones are left alone.
        await RegisterAsync("withdraw-bot", ["read:articles", "search:web", "delegate:user"], canAct: true);
        var alice = await UserConsentFlow.UserTokenAsync(Server, "withdraw-bot", TestSecret, "read:articles search:web");
        var actor = await AgentTokenAsync("withdraw-bot");
        Assert.That((await ExchangeAsync(alice, actor)).Status, Is.EqualTo(HttpStatusCode.OK), "works while consent is in force");

        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the token
        using var browser = Server.Browser();
        await SignInAsync(browser);
        var list = await browser.GetStringAsync(new Uri("/account/consents", UriKind.Relative));
        Assert.That(list, Does.Contain("withdraw-bot").And.Contain("read:articles search:web").And.Contain("Withdraw"));

        var fields = UserConsentFlow.HiddenFields(list);
        using var withdraw = await browser.PostAsync(new Uri("/account/consents/withdraw-bot/withdraw", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(withdraw.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(await ConsentOfAsync("withdraw-bot"), Is.Null);

        await AssertRefusedAsync(() => ExchangeAsync(alice, actor), "invalid_grant", "consent_missing");

        // Consenting again brings back none of the tokens issued under the withdrawn consent.
        await UserConsentFlow.UserTokenAsync(Server, "withdraw-bot", TestSecret, "read:articles search:web");
        await AssertRefusedAsync(() => ExchangeAsync(alice, actor), "invalid_grant", "token_revoked");
    }

    [Test]
    public async Task Withdrawing_without_the_antiforgery_token_changes_nothing()
    {
        await UserConsentFlow.UserTokenAsync(Server, "other-bot", TestSecret, "read:articles");
        using var browser = Server.Browser();
        await SignInAsync(browser);
        using var withdraw = await browser.PostAsync(new Uri("/account/consents/other-bot/withdraw", UriKind.Relative), new FormUrlEncodedContent([]));
        Assert.That(withdraw.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ConsentOfAsync("other-bot"), Is.Not.Null);
    }

    [Test]
    public async Task A_wrong_password_does_not_sign_in()
    {
        using var browser = Server.Browser();
        var page = await browser.GetStringAsync(new Uri("/account/login", UriKind.Relative));
        var fields = UserConsentFlow.HiddenFields(page);
        fields["username"] = "alice";
        fields["password"] = "wrong";
        using var response = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("wrong password"));
    }

    private Task<ConsentGrant?> ConsentOfAsync(string agentId) =>
        Server.WithServiceAsync<ConsentGrant?, IConsentStore>(store => store.FindActiveAsync("user:alice", agentId, default).AsTask());

    private static async Task SignInAsync(HttpClient browser)
    {
        var page = await browser.GetStringAsync(new Uri("/account/login", UriKind.Relative));
        var fields = UserConsentFlow.HiddenFields(page);
        fields["username"] = "alice";
        fields["password"] = UserConsentFlow.AlicePassword;
        fields["returnUrl"] = "/account/consents";
        using var response = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
    }
}
