using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// Drives the authorization code flow as a person would: the agent sends the user to the authorization endpoint,
/// the user signs in on the login page, sees the consent page and allows it; the agent redeems the code. On the
/// library's test host there are no pages: the endpoint signs in the user named by <c>login_hint</c> and redirects at once.
/// </summary>
public static partial class UserConsentFlow
{
    public const string AlicePassword = LumoAuth.Agents.SampleHost.Data.DemoSeeder.AlicePassword;
    public const string RedirectUri = "http://localhost/callback";

    public static async Task<string> UserTokenAsync(ITestServer server, string clientId, string? secret, string scope,
        string userName = "alice", string password = AlicePassword, bool forceConsent = true) =>
        (await UserTokensAsync(server, clientId, secret, scope, userName, password, forceConsent)).AccessToken;

    /// <summary>The whole token response: access token, and ID and refresh tokens when openid/offline_access were asked.</summary>
    public static async Task<TokenResponse> UserTokensAsync(ITestServer server, string clientId, string? secret, string scope,
        string userName = "alice", string password = AlicePassword, bool forceConsent = true)
    {
        using var browser = server.Browser();
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = "/connect/authorize?" + string.Join('&', new Dictionary<string, string>
        {
            ["client_id"] = clientId,
            ["response_type"] = "code",
            ["redirect_uri"] = RedirectUri,
            ["scope"] = scope,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["state"] = "s-" + Guid.NewGuid().ToString("N"),
            ["login_hint"] = userName,
        }.Concat(forceConsent ? [KeyValuePair.Create("prompt", "consent")] : []).Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));

        using var first = await browser.GetAsync(new Uri(authorize, UriKind.Relative));
        var response = first;
        if (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.Contains("/account/login", StringComparison.Ordinal))
        {
            var loginPage = await browser.GetStringAsync(response.Headers.Location);
            var fields = HiddenFields(loginPage);
            fields["username"] = userName;
            fields["password"] = password;
            using var login = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "login failed: " + await login.Content.ReadAsStringAsync());
            response = await browser.GetAsync(login.Headers.Location);
        }

        if (response.StatusCode == HttpStatusCode.OK)
        {
            var consentPage = await response.Content.ReadAsStringAsync();
            Assert.That(consentPage, Does.Contain("Allow an agent to act for you?"), "expected the consent page");
            var fields = HiddenFields(consentPage);
            fields["decision"] = "accept";
            response = await browser.PostAsync(new Uri("/connect/authorize", UriKind.Relative), new FormUrlEncodedContent(fields));
        }

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        var location = response.Headers.Location!;
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query);
        Assert.That(query.ContainsKey("code"), Is.True, "no code in " + location);

        var token = await TokenEndpoint.PostAsync(browser,
        [
            ("grant_type", "authorization_code"), ("code", query["code"].ToString()), ("redirect_uri", RedirectUri),
            ("client_id", clientId), ("code_verifier", verifier), .. (secret is null ? Array.Empty<(string, string)>() : [("client_secret", secret)]),
        ]);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        return token;
    }

    /// <summary>The hidden fields of a page; with several forms, each name's first value.</summary>
    public static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).DistinctBy(m => m.Groups[1].Value)
            .ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
