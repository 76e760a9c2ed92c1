using System.Net;
using System.Security.Cryptography;
using System.Text;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// README pattern 3's authorize URL carries <c>prompt=consent</c>: a user who is signed out and consented before
/// still sees the consent page after signing in, once, and the answer given there is the one that counts.
/// </summary>
public sealed class PromptConsentTests
{
    private SampleServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await SampleServer.StartAsync(DatabaseKind.Sqlite);

        // Alice consented before: without prompt=consent the request would go straight to the callback.
        await UserConsentFlow.UserTokenAsync(_server, "research-bot", SampleAgentServerFixture.ResearchBotSecret, "read:articles search:web");
    }

    [OneTimeTearDown]
    public void Stop() => _server?.Dispose();

    [Test]
    public async Task A_signed_out_user_sees_the_consent_page_after_signing_in_when_the_request_asks_for_consent()
    {
        using var browser = _server.Browser();
        var back = await SignInThroughAsync(browser, Authorize("consent"));
        Assert.That(QueryHelpers.ParseQuery(back.Query)["prompt"].ToArray(), Is.EqualTo(new[] { "consent" }), "prompt=consent, exactly once, after the sign-in");

        using var consentPage = await browser.GetAsync(back);
        var page = await consentPage.Content.ReadAsStringAsync();
        Assert.That(consentPage.StatusCode, Is.EqualTo(HttpStatusCode.OK), page);
        Assert.That(page, Does.Contain("Allow an agent to act for you?"));
        Assert.That(UserConsentFlow.HiddenFields(page).Keys, Does.Not.Contain("prompt"), "the page posts back without prompt, so it shows once");

        var fields = UserConsentFlow.HiddenFields(page);
        fields["decision"] = "accept";
        using var allowed = await browser.PostAsync(new Uri("/connect/authorize", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await allowed.Content.ReadAsStringAsync());
        Assert.That(QueryHelpers.ParseQuery(allowed.Headers.Location!.Query).ContainsKey("code"), Is.True, allowed.Headers.Location.ToString());
    }

    [Test]
    public async Task Without_prompt_consent_a_signed_out_user_who_consented_before_goes_straight_to_the_callback()
    {
        using var browser = _server.Browser();
        var back = await SignInThroughAsync(browser, Authorize(prompt: null));
        Assert.That(QueryHelpers.ParseQuery(back.Query).ContainsKey("prompt"), Is.False);
        using var response = await browser.GetAsync(back);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "no consent page: the earlier consent covers the request");
        Assert.That(QueryHelpers.ParseQuery(response.Headers.Location!.Query).ContainsKey("code"), Is.True);
    }

    [Test]
    public async Task Prompt_login_is_dropped_after_the_sign_in_while_prompt_consent_is_kept()
    {
        using var browser = _server.Browser();
        var back = await SignInThroughAsync(browser, Authorize("login consent"));
        Assert.That(QueryHelpers.ParseQuery(back.Query)["prompt"].ToArray(), Is.EqualTo(new[] { "consent" }));
        using var consentPage = await browser.GetAsync(back);
        Assert.That(await consentPage.Content.ReadAsStringAsync(), Does.Contain("Allow an agent to act for you?"));
    }

    [Test]
    public async Task Deny_on_the_consent_page_refuses_even_where_an_earlier_consent_covers_the_request()
    {
        using var browser = _server.Browser();
        var back = await SignInThroughAsync(browser, Authorize("consent"));
        using var consentPage = await browser.GetAsync(back);
        var fields = UserConsentFlow.HiddenFields(await consentPage.Content.ReadAsStringAsync());
        fields["decision"] = "deny";
        using var denied = await browser.PostAsync(new Uri("/connect/authorize", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(denied.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await denied.Content.ReadAsStringAsync());
        var query = QueryHelpers.ParseQuery(denied.Headers.Location!.Query);
        Assert.That(query.ContainsKey("code"), Is.False, denied.Headers.Location.ToString());
        Assert.That(query["error"].ToString(), Is.EqualTo("access_denied"));
    }

    /// <summary>Sends the signed-out browser to <paramref name="authorize"/>, signs in as Alice on the login page, and returns where the login sends it back.</summary>
    private static async Task<Uri> SignInThroughAsync(HttpClient browser, string authorize)
    {
        using var first = await browser.GetAsync(new Uri(authorize, UriKind.Relative));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var login = first.Headers.Location!;
        Assert.That(login.OriginalString, Does.Contain("/account/login"));

        var fields = UserConsentFlow.HiddenFields(await browser.GetStringAsync(login));
        fields["username"] = "alice";
        fields["password"] = UserConsentFlow.AlicePassword;
        using var signedIn = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await signedIn.Content.ReadAsStringAsync());
        var back = signedIn.Headers.Location!;
        Assert.That(back.OriginalString, Does.StartWith("/connect/authorize?"));
        return new Uri(browser.BaseAddress!, back);
    }

    private static string Authorize(string? prompt)
    {
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes("lumo-local-trial-pkce-verifier-0123456789abcdefghijk")));
        var parameters = new Dictionary<string, string>
        {
            ["client_id"] = "research-bot",
            ["response_type"] = "code",
            ["redirect_uri"] = UserConsentFlow.RedirectUri,
            ["scope"] = "read:articles search:web",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = "s-" + Guid.NewGuid().ToString("N"),
        };
        if (prompt is not null)
        {
            parameters["prompt"] = prompt;
        }

        return "/connect/authorize?" + string.Join('&', parameters.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
    }
}
