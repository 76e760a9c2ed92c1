using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The sample host's own pages against hostile input, in Development and in Production alike: foreign return URLs are
/// never followed, control characters and oversized forms are refused with a page or an RFC 9457 problem, and no
/// answer carries a stack trace, an exception type or the request's Authorization header.
/// </summary>
[TestFixture("Development")]
[TestFixture("Production")]
public sealed class SampleHostErrorResponseTests(string environment)
{
    private const string ThrowingPath = "/test/throws";
    private const string SecretMarker = "secret-marker-7f3a";
    private const string BearerValue = "Bearer header-marker-91c2";

    private SampleServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SampleServer.StartAsync(DatabaseKind.Sqlite,
        new Dictionary<string, string?> { ["environment"] = environment },
        configureServices: services => services.AddTransient<IStartupFilter, ThrowingEndpoint>());

    [OneTimeTearDown]
    public void Stop() => _server?.Dispose();

    [Test]
    public void The_host_runs_in_the_environment_under_test() =>
        Assert.That(_server.Services.GetRequiredService<IHostEnvironment>().EnvironmentName, Is.EqualTo(environment));

    [TestCase("//evil.example/")]
    [TestCase("/\\evil.example/")]
    [TestCase("https://evil.example/")]
    [TestCase("%2F%2Fevil.example")]
    [TestCase("//evil.example/%2F..")]
    [TestCase("/account/consents\u0001")]
    [TestCase("/account/consents\u007f")]
    [TestCase("javascript:alert(1)")]
    public async Task A_sign_in_with_a_foreign_return_url_lands_on_the_consents_page(string returnUrl)
    {
        using var browser = _server.Browser();
        using var response = await SignInAsync(browser, returnUrl, "alice", UserConsentFlow.AlicePassword);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.Location!.OriginalString, Is.EqualTo("/account/consents"));
    }

    [Test]
    public async Task A_sign_in_with_a_local_return_url_follows_it()
    {
        using var browser = _server.Browser();
        using var response = await SignInAsync(browser, "/admin/agents?view=all", "alice", UserConsentFlow.AlicePassword);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.OriginalString, Is.EqualTo("/admin/agents?view=all"));
    }

    [TestCase("//evil.example/")]
    [TestCase("/\\evil.example/")]
    [TestCase("https://evil.example/")]
    public async Task The_login_page_does_not_carry_a_foreign_return_url_into_its_form(string returnUrl)
    {
        using var browser = _server.Browser();
        using var response = await browser.GetAsync(new Uri("/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl), UriKind.Relative));
        var page = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(UserConsentFlow.HiddenFields(page)["returnUrl"], Is.Empty);
        Assert.That(page, Does.Not.Contain("evil.example"));
    }

    [TestCase("alice\u001b[31m", "x")]
    [TestCase("alice\u0001", "Alice-Local-Trial-1!")]
    [TestCase("alice\r\nSet-Cookie: a=b", "x")]
    public async Task A_sign_in_with_control_characters_is_refused_with_the_login_page(string userName, string password)
    {
        using var browser = _server.Browser();
        using var response = await SignInAsync(browser, "/account/consents", userName, password);
        var page = await AssertNoLeakAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(page, Does.Contain("Unknown user name or wrong password."));
    }

    [TestCase("username", "al\u0000ice")]
    [TestCase("password", "Alice-Local-Trial-1!\u0000")]
    [TestCase("returnUrl", "/account\u0000/consents")]
    public async Task A_login_form_with_a_NUL_character_is_refused_with_the_login_page(string field, string value)
    {
        using var browser = _server.Browser();
        var fields = UserConsentFlow.HiddenFields(await browser.GetStringAsync(new Uri("/account/login", UriKind.Relative)));
        fields["returnUrl"] = "/account/consents";
        fields["username"] = "alice";
        fields["password"] = UserConsentFlow.AlicePassword;
        fields[field] = value;
        using var response = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        var page = await AssertNoLeakAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(page, Does.Contain("could not be read"));
    }

    [Test]
    public async Task A_login_form_with_10000_fields_is_refused_with_the_login_page()
    {
        using var browser = _server.Browser();
        using var response = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), ManyFields(10_000));
        var page = await AssertNoLeakAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(page, Does.Contain("could not be read"));
    }

    [TestCase("/connect/authorize")]
    [TestCase("/t/acme-corp/api/v1/oauth/authorize")]
    public async Task An_authorization_form_with_10000_fields_is_an_invalid_request(string path)
    {
        using var browser = _server.Browser();
        using var response = await browser.PostAsync(new Uri(path, UriKind.Relative), ManyFields(10_000));
        Assert.That(await UnreadableAsync(response), Does.Contain("could not be read"));
    }

    /// <summary>The pack's answer to an unreadable OAuth request: its redirect URI is not trusted yet, so no redirect.</summary>
    private static async Task<string> UnreadableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"), body);
        var json = System.Text.Json.Nodes.JsonNode.Parse(body)!;
        Assert.That((string?)json["error"], Is.EqualTo("invalid_request"), body);
        Assert.That((string?)json["error_code"], Is.EqualTo("request_unreadable"), body);
        NoLeak.In(response, body);
        return (string?)json["error_description"] ?? string.Empty;
    }

    [TestCase("client_id", "research\u0000bot")]
    [TestCase("redirect_uri", "http://localhost/callback\u0000")]
    [TestCase("state", "s\u0007")]
    [TestCase("scope", "read:articles\u000bsearch:web")]
    public async Task An_authorization_request_with_a_control_character_is_an_invalid_request(string name, string value)
    {
        var parameters = new Dictionary<string, string>
        {
            ["client_id"] = "research-bot", ["response_type"] = "code", ["redirect_uri"] = UserConsentFlow.RedirectUri,
            ["scope"] = "read:articles", ["code_challenge"] = "javqQZjtgLDmYYblj0bq4m6wNtSX-TpJayRrKD5uvUE", ["code_challenge_method"] = "S256",
            ["state"] = "s",
        };
        parameters[name] = value;
        using var browser = _server.Browser();
        using var byQuery = await browser.GetAsync(new Uri("/connect/authorize?" + string.Join('&', parameters.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value))), UriKind.Relative));
        Assert.That(await UnreadableAsync(byQuery), Does.Contain("control character"));

        // A form cannot even be read with a NUL in it; other control characters are read and refused.
        using var byForm = await browser.PostAsync(new Uri("/connect/authorize", UriKind.Relative), new FormUrlEncodedContent(parameters));
        Assert.That(await UnreadableAsync(byForm), value.Contains('\0', StringComparison.Ordinal) ? Does.Contain("could not be read") : Does.Contain("control character"));
    }

    [Test]
    public async Task An_exception_is_a_problem_without_its_type_message_or_the_request_headers()
    {
        using var http = _server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, ThrowingPath);
        request.Headers.TryAddWithoutValidation("Authorization", BearerValue);
        request.Headers.TryAddWithoutValidation("Accept", "text/html");
        using var response = await http.SendAsync(request);
        var problem = await ProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.That((string?)problem["traceId"], Is.Not.Empty, "the trace id finds the exception in the log");
    }

    [Test]
    public async Task A_body_of_a_type_the_admin_api_does_not_read_is_a_problem_not_an_empty_415()
    {
        using var http = _server.Http();
        using var response = await http.PostAsync(new Uri("/t/acme-corp/api/v1/agents", UriKind.Relative), new StringContent("not json", System.Text.Encoding.UTF8, "text/plain"));
        var body = await AssertNoLeakAsync(response);
        Assert.That((int)response.StatusCode, Is.GreaterThanOrEqualTo(400).And.LessThan(500));
        Assert.That(body, Is.Not.Empty, "an error status always comes with a body that says what went wrong");
    }

    [Test]
    public async Task An_unknown_address_is_a_problem()
    {
        using var http = _server.Http();
        using var response = await http.GetAsync(new Uri("/no/such/page", UriKind.Relative));
        await ProblemAsync(response, HttpStatusCode.NotFound);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string returnUrl, string userName, string password)
    {
        var loginPage = await browser.GetStringAsync(new Uri("/account/login", UriKind.Relative));
        var fields = UserConsentFlow.HiddenFields(loginPage);
        fields["returnUrl"] = returnUrl;
        fields["username"] = userName;
        fields["password"] = password;
        return await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
    }

    private static FormUrlEncodedContent ManyFields(int count) =>
        new(Enumerable.Range(0, count).Select(_ => KeyValuePair.Create("f", "v"))); // short: over the count limit, under the size limit

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await AssertNoLeakAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(status), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.That((int?)problem["status"], Is.EqualTo((int)status));
        Assert.That((string?)problem["title"], Is.Not.Empty);
        return problem;
    }

    /// <summary>The body, after checking that neither it nor the headers show how the server failed.</summary>
    private static Task<string> AssertNoLeakAsync(HttpResponseMessage response) => NoLeak.InAsync(response, SecretMarker, "header-marker-91c2");

    /// <summary>An endpoint that fails the way a bug would, placed behind the host's own middleware.</summary>
    private sealed class ThrowingEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Map(ThrowingPath, branch => branch.Run(_ => throw new InvalidOperationException(SecretMarker)));
        };
    }
}
