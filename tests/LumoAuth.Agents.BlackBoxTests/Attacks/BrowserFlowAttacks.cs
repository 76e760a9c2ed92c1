using System.Text.RegularExpressions;
using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// The browser-facing endpoints: the authorization endpoint's redirect URI and PKCE checks, and the sign-in form's
/// return URL, against open redirects, reflected markup and oversized or odd input.
/// </summary>
public sealed partial class BrowserFlowAttacks : AttackFixture
{
    private const string Challenge = "javqQZjtgLDmYYblj0bq4m6wNtSX-TpJayRrKD5uvUE";

    private string _antiforgeryCookie = string.Empty;
    private string _antiforgeryToken = string.Empty;

    protected override async Task PrepareAsync()
    {
        var page = await SendAsync(Get(Tenant.LoginPath), "login page");
        _antiforgeryCookie = string.Join("; ", page.Headers.Where(h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.Split(';')[0]));
        _antiforgeryToken = AntiforgeryField().Match(page.Body) is { Success: true } match ? match.Groups[1].Value : throw new AssertionException($"No antiforgery field: {page.Summary}");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>A sign-in POST with this fixture's antiforgery pair.</summary>
    private HttpRequestMessage Login(params (string, string)[] fields)
    {
        var request = Form(Tenant.LoginPath, [("__RequestVerificationToken", _antiforgeryToken), .. fields]);
        request.Headers.TryAddWithoutValidation("Cookie", _antiforgeryCookie);
        return request;
    }

    private static HttpRequestMessage Login(AttackFixture f, params (string, string)[] fields) => ((BrowserFlowAttacks)f).Login(fields);

    /// <summary>research-bot's authorization request with some parameters replaced (null removes one) or added.</summary>
    private static HttpRequestMessage Authorize(AttackFixture f, string path, (string Name, string? Value)[] replace, params (string Name, string Value)[] add)
    {
        var parameters = new List<(string Name, string? Value)>
        {
            ("client_id", Tenant.ResearchBot), ("response_type", "code"), ("redirect_uri", f.Callback.AbsoluteUri), ("scope", "read:articles"),
            ("code_challenge", Challenge), ("code_challenge_method", "S256"), ("state", "state-1"),
        };
        foreach (var (name, value) in replace)
        {
            var index = parameters.FindIndex(p => p.Name == name);
            if (index >= 0)
            {
                parameters.RemoveAt(index);
            }

            if (value is not null)
            {
                parameters.Add((name, value));
            }
        }

        parameters.AddRange(add.Select(a => (a.Name, (string?)a.Value)));
        return Get(path + "?" + string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value!)}")));
    }

    private static HostileCase Refused(string name, Func<AttackFixture, HttpRequestMessage> build, string[]? errors, bool mayRedirectToClient) =>
        new(name, build, Shape.AuthorizationError, mayRedirectToClient ? [302, 303, 400] : [400], errors, mayRedirectToClient);

    private static HostileCase BadRedirect(string name, Func<AttackFixture, string> redirect) =>
        Refused($"redirect_uri {name}", f => Authorize(f, Tenant.AuthorizationPath, [("redirect_uri", redirect(f))]), ["invalid_request", "invalid_client"], mayRedirectToClient: false);

    private static HostileCase Page(string name, Func<AttackFixture, HttpRequestMessage> build, params int[] statuses) =>
        new(name, build, Shape.LocalPageOrRedirect, statuses);

    private static readonly string[] Request = ["invalid_request"];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var path in new[] { Tenant.AuthorizationPath, Tenant.SeedAuthorizationPath })
        {
            var p = path == Tenant.AuthorizationPath ? "" : " (seed path)";
            yield return Refused("PKCE code_challenge_method=plain" + p, f => Authorize(f, path, [("code_challenge_method", "plain"), ("code_challenge", Filler(43, 'p'))]), Request, true).ToTestCase();
            yield return Refused("redirect_uri on another host" + p, f => Authorize(f, path, [("redirect_uri", "https://evil.example/callback")]), ["invalid_request", "invalid_client"], false).ToTestCase();
        }

        const string A = Tenant.AuthorizationPath;
        yield return Refused("PKCE without code_challenge", f => Authorize(f, A, [("code_challenge", null), ("code_challenge_method", null)]), Request, true).ToTestCase();
        yield return Refused("PKCE without code_challenge_method (plain by default)", f => Authorize(f, A, [("code_challenge_method", null), ("code_challenge", Filler(43, 'p'))]), Request, true).ToTestCase();
        yield return Refused("PKCE with an unknown method", f => Authorize(f, A, [("code_challenge_method", "S512")]), Request, true).ToTestCase();
        yield return BadRedirect("with a path after the registered one", f => f.Callback.AbsoluteUri + "/../evil").ToTestCase();
        yield return BadRedirect("with a query added", f => f.Callback.AbsoluteUri + "?next=https://evil.example/").ToTestCase();
        yield return BadRedirect("with a fragment", f => f.Callback.AbsoluteUri + "#https://evil.example/").ToTestCase();
        yield return BadRedirect("with userinfo naming another host", f => $"http://{f.Host.BaseAddress.Authority}@evil.example/callback").ToTestCase();
        yield return BadRedirect("on another port", f => $"http://127.0.0.1:{f.Host.BaseAddress.Port + 1}/callback").ToTestCase();
        yield return BadRedirect("with the path in capitals", f => f.Callback.AbsoluteUri.Replace("/callback", "/CALLBACK", StringComparison.Ordinal)).ToTestCase();
        yield return BadRedirect("with a trailing slash", f => f.Callback.AbsoluteUri + "/").ToTestCase();
        yield return BadRedirect("scheme-relative to another host", _ => "//evil.example/callback").ToTestCase();
        yield return BadRedirect("over https", f => f.Callback.AbsoluteUri.Replace("http://", "https://", StringComparison.Ordinal)).ToTestCase();
        yield return BadRedirect("percent-encoded twice", f => Uri.EscapeDataString(f.Callback.AbsoluteUri)).ToTestCase();
        yield return BadRedirect("with a NUL byte", f => f.Callback.AbsoluteUri + "\0.evil.example").ToTestCase();
        yield return BadRedirect("as a javascript: URI", _ => "javascript:alert(document.domain)").ToTestCase();
        yield return Refused("redirect_uri duplicated with another host", f => Authorize(f, A, [], ("redirect_uri", "https://evil.example/callback")), Request, false).ToTestCase();
        yield return Refused("redirect_uri duplicated with the same value", f => Authorize(f, A, [], ("redirect_uri", f.Callback.AbsoluteUri)), Request, false).ToTestCase();
        yield return Refused("client_id duplicated", f => Authorize(f, A, [], ("client_id", Tenant.SearchTool)), ["invalid_request", "invalid_client"], false).ToTestCase();
        yield return Refused("client_id unknown", f => Authorize(f, A, [("client_id", "no-such-agent")]), ["invalid_request", "invalid_client"], false).ToTestCase();
        yield return Refused("client_id with a NUL byte", f => Authorize(f, A, [("client_id", Tenant.ResearchBot + "\0")]), ["invalid_request", "invalid_client"], false).ToTestCase();
        yield return Refused("client_id with markup", f => Authorize(f, A, [("client_id", HostileAnswers.Markup)]), ["invalid_request", "invalid_client"], false).ToTestCase();
        yield return Refused("response_type=token (implicit)", f => Authorize(f, A, [("response_type", "token")]), ["unsupported_response_type", "invalid_request", "unauthorized_client"], true).ToTestCase();
        yield return Refused("response_type duplicated", f => Authorize(f, A, [], ("response_type", "token")), Request, true).ToTestCase();
        yield return Refused("scope duplicated", f => Authorize(f, A, [], ("scope", "search:web")), Request, true).ToTestCase();
        yield return Refused("code_challenge duplicated", f => Authorize(f, A, [], ("code_challenge", Filler(43, 'q'))), Request, true).ToTestCase();
        yield return Refused("a request_uri to fetch", f => Authorize(f, A, [], ("request_uri", "https://evil.example/request.jwt")), ["invalid_request", "request_uri_not_supported"], true).ToTestCase();
        yield return Refused("a request object", f => Authorize(f, A, [], ("request", "eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJldmlsIn0.")), ["invalid_request", "request_not_supported"], true).ToTestCase();
        yield return Refused("prompt=none while signed out", f => Authorize(f, A, [], ("prompt", "none")), ["login_required"], true).ToTestCase();
        yield return new HostileCase("10,000 form parameters in a POST", f => Form(A, ManyFields(10_000, ("client_id", Tenant.ResearchBot), ("response_type", "code"), ("redirect_uri", f.Callback.AbsoluteUri))),
            Shape.AuthorizationError, [400, 413], Request).ToTestCase();
        yield return Refused("a JSON body in a POST", f => Raw(A, $$"""{"client_id":"research-bot","redirect_uri":"{{f.Callback.AbsoluteUri}}"}""", "application/json"), Request, false).ToTestCase();
        yield return Page("markup in state while signed out", f => Authorize(f, A, [("state", HostileAnswers.Markup)]), 302).ToTestCase();

        // The sign-in form and the callback page.
        yield return Page("sign-in page with markup in returnUrl", _ => Get($"{Tenant.LoginPath}?returnUrl={Uri.EscapeDataString(HostileAnswers.Markup)}"), 200).ToTestCase();
        yield return Page("sign-in page with an attribute break-out in returnUrl", _ => Get($"{Tenant.LoginPath}?returnUrl={Uri.EscapeDataString("\"><script>alert(1)</script>")}"), 200).ToTestCase();
        yield return Page("sign-in page with a NUL byte in returnUrl", _ => Get($"{Tenant.LoginPath}?returnUrl=%00%2F%2Fevil.example"), 200, 400).ToTestCase();
        yield return Page("callback page with markup in code and state", _ => Get($"/callback?code={Uri.EscapeDataString(HostileAnswers.Markup)}&state={Uri.EscapeDataString(HostileAnswers.Markup)}"), 200).ToTestCase();
        yield return Page("callback page with markup in error", _ => Get($"/callback?error={Uri.EscapeDataString(HostileAnswers.Markup)}"), 200).ToTestCase();
        foreach (var (name, returnUrl) in new[]
        {
            ("scheme-relative //evil.example/", "//evil.example/"),
            ("backslash /\\evil.example/", "/\\evil.example/"),
            ("absolute https://evil.example", "https://evil.example/"),
            ("percent-encoded /%2F%2Fevil.example", "/%2F%2Fevil.example/"),
            ("percent-encoded %2F%2Fevil.example", "%2F%2Fevil.example/"),
            ("percent-encoded backslash /%5Cevil.example", "/%5Cevil.example/"),
            ("tab before //evil.example", "/\t/evil.example/"),
            ("javascript: URI", "javascript:alert(1)"),
            ("markup", "/" + HostileAnswers.Markup),
            ("CR LF header injection", "/account/consents\r\nSet-Cookie: injected=1"),
        })
        {
            yield return Page($"sign-in as alice with returnUrl {name}", f => Login(f, ("username", Tenant.AliceUser), ("password", Tenant.AlicePassword), ("returnUrl", returnUrl)), 302, 303, 200, 400).ToTestCase();
        }

        yield return Page("sign-in with an unknown user and markup in returnUrl", f => Login(f, ("username", "mallory"), ("password", "wrong-password"), ("returnUrl", HostileAnswers.Markup)), 400).ToTestCase();
        yield return Page("sign-in with a NUL byte in the user name", f => Login(f, ("username", "alice\0"), ("password", "wrong-password")), 400).ToTestCase();
        yield return Page("sign-in with a user name of 100,000 characters", f => Login(f, ("username", Filler(100_000)), ("password", "wrong-password")), 400).ToTestCase();
        yield return Page("sign-in without an antiforgery token", _ => Form(Tenant.LoginPath, ("username", "mallory"), ("password", "wrong-password")), 400).ToTestCase();
        yield return Page("sign-in with 10,000 form parameters", f => Login(f, ManyFields(10_000, ("username", "mallory"), ("password", "wrong-password"))), 400, 413).ToTestCase();
        yield return Page("sign-in with a text/plain body", _ => Raw(Tenant.LoginPath, "username=mallory&password=x", "text/plain"), 400, 415).ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);

    [Test]
    public async Task Discovery_advertises_S256_as_the_only_PKCE_method()
    {
        var discovery = await SendAsync(Get("/.well-known/openid-configuration"), "discovery");
        var methods = discovery.Json?["code_challenge_methods_supported"]?.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.That(methods, Is.EqualTo(new[] { "S256" }), $"RFC 9700 §2.1.1: {discovery.Summary}");
    }
}
