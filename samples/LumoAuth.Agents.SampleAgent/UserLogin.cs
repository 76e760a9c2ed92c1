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
        var response = await AliceAllowsAsync(new Uri(authorize, UriKind.Relative), cancellationToken);
        using (response)
        {
            if (CodeIn(response.Headers.Location) is not { } code)
            {
                throw new DemoFailedException(await NoCodeReasonAsync(response, clientId, redirect, cancellationToken));
            }

            using var token = await _browser.PostAsync(new Uri("connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = redirect,
                ["client_id"] = clientId,
                ["client_secret"] = clientSecret,
                ["code_verifier"] = verifier,
            }), cancellationToken);
            var body = await token.Content.ReadAsStringAsync(cancellationToken);
            return (System.Text.Json.Nodes.JsonNode.Parse(body) as System.Text.Json.Nodes.JsonObject)?["access_token"]?.GetValue<string>()
                ?? throw new DemoFailedException($"research-bot could not redeem Alice's authorization code ({(int)token.StatusCode}): {OneLine(body)}");
        }
    }

    /// <summary>
    /// Alice opens <paramref name="authorization"/>: signs in if she must, then presses Allow on the consent page (for
    /// an agent, or for one of her own apps). The host's last answer: a redirect with the code, or the error.
    /// </summary>
    public async Task<HttpResponseMessage> AliceAllowsAsync(Uri authorization, CancellationToken cancellationToken)
    {
        var response = await _browser.GetAsync(authorization, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location is { } loginPage && loginPage.OriginalString.Contains("/account/login", StringComparison.Ordinal))
        {
            var fields = HiddenFields(await _browser.GetStringAsync(loginPage, cancellationToken));
            fields["username"] = "alice";
            fields["password"] = "Alice-Local-Trial-1!"; // the sample's local-trial user
            using var login = await _browser.PostAsync(new Uri("account/login", UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
            if (login.StatusCode != HttpStatusCode.Redirect || login.Headers.Location is not { } back)
            {
                throw new DemoFailedException($"Alice could not sign in on the host's login page ({(int)login.StatusCode}); is {_settings.Host} the sample host with its seeded user?");
            }

            response.Dispose();
            response = await _browser.GetAsync(back, cancellationToken);
        }

        if (response.StatusCode == HttpStatusCode.OK)
        {
            var fields = HiddenFields(await response.Content.ReadAsStringAsync(cancellationToken));
            fields["decision"] = "accept";
            response.Dispose();
            response = await _browser.PostAsync(new Uri("connect/authorize", UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
        }

        return response;
    }

    /// <summary>Why the consent step gave no code, in one line: the error the host answered with, and a hint for the usual cause.</summary>
    private static async Task<string> NoCodeReasonAsync(HttpResponseMessage response, string clientId, string redirect, CancellationToken cancellationToken)
    {
        var error = response.Headers.Location is { } location
            ? QueryValue(location, "error") is { } e
                ? $"{e} {QueryValue(location, "error_description")}".Trim()
                : "a redirect to " + location.GetLeftPart(UriPartial.Path) + " without a code"
            : OneLine(await response.Content.ReadAsStringAsync(cancellationToken));
        var hint = error.Contains("redirect_uri", StringComparison.Ordinal)
            ? $" {clientId}'s registered redirect URI is the host's public origin + callback from the host's first start; pass it with --redirect-uri (this run used {redirect})."
            : string.Empty;
        return $"the consent step gave no authorization code ({(int)response.StatusCode}: {Truncate(error)}).{hint}";
    }

    private static string OneLine(string text) =>
        Truncate(string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>Alice withdraws her consent to <paramref name="agentId"/> on her consents page (she is signed in).</summary>
    public async Task WithdrawAsync(string agentId, CancellationToken cancellationToken)
    {
        var fields = HiddenFields(await _browser.GetStringAsync(new Uri("account/consents", UriKind.Relative), cancellationToken));
        using var withdraw = await _browser.PostAsync(new Uri($"account/consents/{agentId}/withdraw", UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
        if (withdraw.StatusCode != HttpStatusCode.Redirect)
        {
            throw new DemoFailedException($"Alice could not withdraw her consent to {agentId} ({(int)withdraw.StatusCode}).");
        }
    }

    /// <summary>
    /// Alice, signed in, opens her approvals page on the host and presses Approve (or Deny) on the request whose binding
    /// message is <paramref name="bindingMessage"/>, once it shows (the page lists requests as they come).
    /// </summary>
    public async Task DecideApprovalAsync(string bindingMessage, bool approve, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (true)
        {
            var page = await _browser.GetStringAsync(new Uri("account/approvals", UriKind.Relative), cancellationToken);
            var item = ApprovalItem().Matches(page).FirstOrDefault(m => WebUtility.HtmlDecode(m.Groups["message"].Value) == bindingMessage && m.Groups["state"].Value == "waiting for you");
            if (item is not null)
            {
                var id = item.Groups["id"].Value;
                var action = $"/account/approvals/{id}/{(approve ? "approve" : "deny")}";
                var form = item.Value[item.Value.IndexOf($"action=\"{action}\"", StringComparison.Ordinal)..];
                var fields = HiddenFields(form[..form.IndexOf("</form>", StringComparison.Ordinal)]);
                using var decided = await _browser.PostAsync(new Uri(action.TrimStart('/'), UriKind.Relative), new FormUrlEncodedContent(fields), cancellationToken);
                if (decided.StatusCode != HttpStatusCode.Redirect)
                {
                    throw new DemoFailedException($"Alice could not decide the approval request on her approvals page ({(int)decided.StatusCode}).");
                }

                return;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new DemoFailedException($"the request \"{bindingMessage}\" did not show on Alice's approvals page within 20 seconds.");
            }

            // The page itself reloads every few seconds; the stand-in browser looks again sooner.
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    [GeneratedRegex("<li data-approval=\"(?<id>[0-9a-f]{64})\" data-state=\"(?<state>[^\"]+)\">.*?<q>(?<message>[^<]*)</q>.*?</li>", RegexOptions.Singleline)]
    private static partial Regex ApprovalItem();

    private static string? CodeIn(Uri? location) => location is null ? null : QueryValue(location, "code");

    internal static string? QueryValue(Uri location, string name) =>
        (location.IsAbsoluteUri ? location.Query : location.OriginalString.Contains('?', StringComparison.Ordinal) ? location.OriginalString[location.OriginalString.IndexOf('?', StringComparison.Ordinal)..] : string.Empty)
            .TrimStart('?').Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == name) is { Length: 2 } pair
            ? Uri.UnescapeDataString(pair[1].Replace('+', ' '))
            : null;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
