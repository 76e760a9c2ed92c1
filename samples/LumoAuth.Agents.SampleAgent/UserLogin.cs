using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace LumoAuth.Agents.SampleAgent;

/// <summary>
/// FOR THE DEMO ONLY: plays Alice's browser — signs in on the host's login page, allows research-bot on the consent
/// page, and hands the authorization code to research-bot — so the whole story runs unattended. A real agent sends
/// the user to the authorization endpoint and never sees their password.
/// </summary>
public sealed partial class UserLogin : IDisposable
{
    private readonly HttpClient _browser;
    private readonly DemoSettings _settings;

    /// <summary>Creates the stand-in browser for the host in <paramref name="settings"/>.</summary>
    public UserLogin(DemoSettings settings)
    {
        _settings = settings;
        _browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = settings.Host };
    }

    /// <inheritdoc />
    public void Dispose() => _browser.Dispose();

    /// <summary>Alice signs in and consents to <paramref name="scope"/> for research-bot; research-bot redeems the code for her access token.</summary>
    public async Task<string> AliceConsentsAsync(string clientId, string clientSecret, string scope, CancellationToken cancellationToken)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var redirect = (_settings.RedirectUri ?? new Uri(_settings.Host, "callback")).AbsoluteUri;
        var authorize = $"connect/authorize?client_id={clientId}&response_type=code&redirect_uri={Uri.EscapeDataString(redirect)}" +
                        $"&scope={Uri.EscapeDataString(scope)}&code_challenge={challenge}&code_challenge_method=S256&prompt=consent&state=demo";
        var response = await _browser.GetAsync(new Uri(authorize, UriKind.Relative), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.Contains("/account/login", StringComparison.Ordinal))
        {
            var fields = HiddenFields(await _browser.GetStringAsync(response.Headers.Location, cancellationToken));
            fields["username"] = "alice";
            fields["password"] = "Alice-Local-Trial-1!"; // the sample's local-trial user
            using var login = await _browser.PostAsync(new Uri("account/login", UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
            response.Dispose();
            response = await _browser.GetAsync(login.Headers.Location, cancellationToken);
        }

        if (response.StatusCode == HttpStatusCode.OK)
        {
            var fields = HiddenFields(await response.Content.ReadAsStringAsync(cancellationToken));
            fields["decision"] = "accept";
            response.Dispose();
            response = await _browser.PostAsync(new Uri("connect/authorize", UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
        }

        var code = CodeIn(response.Headers.Location) ?? throw new InvalidOperationException($"No authorization code came back ({(int)response.StatusCode}).");
        response.Dispose();
        using var token = await _browser.PostAsync(new Uri("connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirect,
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
            ["code_verifier"] = verifier,
        }), cancellationToken);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await token.Content.ReadAsStringAsync(cancellationToken))!;
        return json["access_token"]?.GetValue<string>() ?? throw new InvalidOperationException("The code was not redeemed: " + json.ToJsonString());
    }

    /// <summary>Alice withdraws her consent to <paramref name="agentId"/> on her consents page (she is signed in).</summary>
    public async Task WithdrawAsync(string agentId, CancellationToken cancellationToken)
    {
        var fields = HiddenFields(await _browser.GetStringAsync(new Uri("account/consents", UriKind.Relative), cancellationToken));
        using var withdraw = await _browser.PostAsync(new Uri($"account/consents/{agentId}/withdraw", UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
        if (withdraw.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Withdrawing the consent failed ({(int)withdraw.StatusCode}).");
        }
    }

    private static string? CodeIn(Uri? location) =>
        location?.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "code") is { Length: 2 } pair ? Uri.UnescapeDataString(pair[1]) : null;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
