using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// What an anonymous or careless client meets at the OAuth endpoints: anonymous access is exactly the documented
/// token exchange, PKCE is S256 only, and the token response says what it granted.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public class ProtocolHardeningTests(DatabaseKind database) : AgentServerFixture(database)
{
    [TestCase("client_credentials")]
    [TestCase("authorization_code")]
    [TestCase("refresh_token")]
    [TestCase("password")]
    public async Task Only_token_exchange_may_be_anonymous(string grantType)
    {
        var response = await TokenEndpoint.PostAsync(Client, [("grant_type", grantType), ("code", "x"), ("refresh_token", "x"), ("redirect_uri", UserConsentFlow.RedirectUri)]);
        Assert.That((int)response.Status, Is.EqualTo(401), response.ToString());
        Assert.That(response["error"], Is.EqualTo("invalid_client"), response.ToString());
        Assert.That(response["error_code"], Is.EqualTo("client_identification_required"), response.ToString());
        Assert.That(response["access_token"], Is.Null);
    }

    [Test]
    public async Task The_seed_exchange_stays_anonymous()
    {
        var response = await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Discovery_advertises_S256_only()
    {
        var metadata = JsonNode.Parse(await Client.GetStringAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative)))!;
        var methods = metadata["code_challenge_methods_supported"]!.AsArray().Select(m => (string?)m).ToList();
        Assert.That(methods, Is.EqualTo(new[] { "S256" }));
    }

    [Test]
    public async Task An_authorization_request_with_a_plain_code_challenge_is_refused()
    {
        using var browser = Server.Browser();
        var query = "client_id=research-bot&response_type=code&scope=read%3Aarticles&redirect_uri=" + Uri.EscapeDataString(UserConsentFlow.RedirectUri) +
                    "&code_challenge=lumo-local-trial-pkce-verifier-0123456789abcdefghijk&code_challenge_method=plain";
        using var response = await browser.GetAsync(new Uri("/connect/authorize?" + query, UriKind.Relative));
        var location = response.Headers.Location?.ToString() ?? string.Empty;
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(location + body, Does.Contain("invalid_request"), $"{(int)response.StatusCode} {location} {body}");
        Assert.That(location, Does.Not.Match("[?&]code="), "no authorization code is issued for a plain challenge");
    }

    [Test]
    public async Task A_token_response_says_the_granted_scope_when_none_was_asked()
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, "research-bot", ResearchBotSecret);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(response["scope"], Is.EqualTo((string?)TokenEndpoint.Payload(response.AccessToken)["scope"]), "RFC 6749 5.1: the default scopes, said");
        Assert.That(response["scope"], Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public async Task A_delegated_token_response_says_the_narrowed_scope()
    {
        var response = await ExchangeAsync(AliceToken, await AgentTokenAsync("research-bot"));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(response["scope"], Is.EqualTo("read:articles search:web"));
    }

    [Test]
    public Task A_duplicated_redirect_uri_at_the_token_endpoint_is_an_invalid_request() =>
        AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client,
            [("grant_type", "authorization_code"), ("code", "x"), ("client_id", "research-bot"), ("client_secret", ResearchBotSecret),
             ("redirect_uri", UserConsentFlow.RedirectUri), ("redirect_uri", "https://evil.example/cb")]), "invalid_request", "parameter_duplicated");

    [TestCase("redirect_uri")]
    [TestCase("scope")]
    [TestCase("client_id")]
    public async Task A_duplicated_parameter_at_the_authorization_endpoint_is_shown_as_an_invalid_request_never_redirected(string name)
    {
        using var browser = Server.Browser();
        var query = "client_id=research-bot&response_type=code&scope=read%3Aarticles&redirect_uri=" + Uri.EscapeDataString(UserConsentFlow.RedirectUri) +
                    "&code_challenge=javqQZjtgLDmYYblj0bq4m6wNtSX-TpJayRrKD5uvUE&code_challenge_method=S256&" + name + "=" +
                    (name == "redirect_uri" ? Uri.EscapeDataString("https://evil.example/cb") : "other");
        using var response = await browser.GetAsync(new Uri("/connect/authorize?" + query, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(400), body);
        Assert.That(response.Headers.Location, Is.Null, "which redirect URI was meant is in doubt: no redirect");
        Assert.That(body, Does.Contain("invalid_request").And.Contain(name));
    }

    [Test]
    public Task An_unknown_grant_type_has_its_own_code() =>
        AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client, [("grant_type", "urn:example:made-up"), ("client_id", "research-bot"), ("client_secret", ResearchBotSecret)]),
            "unsupported_grant_type", "grant_type_unsupported");

    [Test]
    public async Task A_failed_client_authentication_points_to_its_own_documented_code()
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, "research-bot", "not-the-secret-0123456789");
        Assert.That(response["error"], Is.EqualTo("invalid_client"), response.ToString());
        Assert.That(response["error_code"], Is.EqualTo("client_authentication_failed"));
        Assert.That(response["error_uri"], Does.EndWith("/errors#client_authentication_failed"), "ours, not OpenIddict's");
    }

    [Test]
    public async Task The_AAuth_metadata_lists_only_scopes_agents_can_hold()
    {
        var metadata = JsonNode.Parse(await Client.GetStringAsync(new Uri("/.well-known/aauth-issuer", UriKind.Relative)))!;
        var scopes = metadata["scopes_supported"]!.AsArray().Select(s => (string?)s).ToList();
        Assert.That(scopes, Does.Not.Contain("openid").And.Not.Contain("offline_access"));
    }

    [Test]
    public async Task Introspection_takes_no_token_in_the_url()
    {
        var token = await AgentTokenAsync("research-bot");
        using var response = await Client.GetAsync(new Uri($"/connect/introspect?token={token}&client_id=acme-corp-api&client_secret={TestTenant.ApiSecret}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(400), body);
        Assert.That(body, Does.Contain("invalid_request").And.Not.Contain("\"active\""));
    }

    [Test]
    public async Task A_body_over_the_limit_is_refused_before_it_is_read()
    {
        var response = await TokenEndpoint.PostAsync(Client, [("grant_type", "client_credentials"), ("client_id", "research-bot"),
            ("client_secret", ResearchBotSecret), ("padding", new string('a', 200_000))]);
        Assert.That((int)response.Status, Is.EqualTo(413), response.ToString());
        Assert.That(response["error_code"], Is.EqualTo("request_unreadable"));
        Assert.That(response["access_token"], Is.Null);
    }

    [Test]
    public async Task A_client_that_sent_an_oversized_body_can_go_on_with_its_next_request()
    {
        // The unread body is not drained, so the connection closes; the answer says so and the client does not reuse it.
        using var http = Server.Http();
        for (var i = 0; i < 5; i++)
        {
            using var oversized = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("padding", new string('a', 1_200_000))]);
            using var refused = await http.PostAsync(new Uri("/connect/introspect", UriKind.Relative), oversized);
            Assert.That((int)refused.StatusCode, Is.EqualTo(413));
            Assert.That(refused.Headers.ConnectionClose, Is.True);
            var next = await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", ResearchBotSecret);
            Assert.That(next.Status, Is.EqualTo(HttpStatusCode.OK), next.ToString());
        }
    }
}
