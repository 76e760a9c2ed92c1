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
        Assert.That((int)response.Status, Is.AnyOf(400, 401), response.ToString());
        Assert.That(response["error"], Is.AnyOf("invalid_client", "invalid_request", "unsupported_grant_type"), response.ToString());
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
}
