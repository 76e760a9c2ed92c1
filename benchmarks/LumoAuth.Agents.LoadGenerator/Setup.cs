using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LumoAuth.Agents.LoadGenerator;

/// <summary>Obtains the tokens the scenarios replay: an agent's own token, Alice's token after consent, a workload token.</summary>
internal static partial class Setup
{
    public const string ResearchBotSecret = "research-bot-local-trial-secret-0001";
    public const string SeedTokenPath = "t/acme-corp/api/v1/oauth/token";

    public static async Task<string> AgentTokenAsync(Uri host)
    {
        using var http = new HttpClient { BaseAddress = host };
        return await TokenAsync(http, [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", ResearchBotSecret)]);
    }

    public static async Task<string> WorkloadTokenAsync(Uri host)
    {
        using var http = new HttpClient { BaseAddress = host };
        using var response = await http.PostAsync(new Uri("dev/kubernetes/token", UriKind.Relative),
            new FormUrlEncodedContent([new("namespace", "agents"), new("serviceaccount", "research-bot")]));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Alice signs in, consents to research-bot acting for her, and research-bot redeems the code.</summary>
    public static async Task<string> UserTokenAsync(Uri host)
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = host };
        var verifier = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var redirect = new Uri(host, "callback").AbsoluteUri;
        var authorize = $"connect/authorize?client_id=research-bot&response_type=code&redirect_uri={Uri.EscapeDataString(redirect)}" +
                        $"&scope={Uri.EscapeDataString("read:articles search:web")}&code_challenge={challenge}&code_challenge_method=S256&prompt=consent&state=s";
        var response = await browser.GetAsync(new Uri(authorize, UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.OriginalString.Contains("/account/login", StringComparison.Ordinal))
        {
            var fields = Hidden(await browser.GetStringAsync(response.Headers.Location));
            fields["username"] = "alice";
            fields["password"] = "Alice-Local-Trial-1!";
            var login = await browser.PostAsync(new Uri("account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
            response = await browser.GetAsync(login.Headers.Location);
        }

        if (response.StatusCode == HttpStatusCode.OK)
        {
            var fields = Hidden(await response.Content.ReadAsStringAsync());
            fields["decision"] = "accept";
            response = await browser.PostAsync(new Uri("connect/authorize", UriKind.Relative), new FormUrlEncodedContent(fields));
        }

        var code = Regex.Match(response.Headers.Location?.Query ?? string.Empty, "[?&]code=([^&]+)").Groups[1].Value;
        if (code.Length == 0)
        {
            throw new InvalidOperationException("The consent flow produced no code: " + response.StatusCode);
        }

        return await TokenAsync(browser,
        [
            ("grant_type", "authorization_code"), ("code", Uri.UnescapeDataString(code)), ("redirect_uri", redirect),
            ("client_id", "research-bot"), ("client_secret", ResearchBotSecret), ("code_verifier", verifier),
        ]);
    }

    private static async Task<string> TokenAsync(HttpClient http, (string, string)[] parameters)
    {
        using var response = await http.PostAsync(new Uri(SeedTokenPath, UriKind.Relative), new FormUrlEncodedContent(parameters.Select(p => KeyValuePair.Create(p.Item1, p.Item2))));
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        return json?["access_token"]?.GetValue<string>() ?? throw new InvalidOperationException($"No token: {(int)response.StatusCode} {json}");
    }

    private static Dictionary<string, string> Hidden(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
