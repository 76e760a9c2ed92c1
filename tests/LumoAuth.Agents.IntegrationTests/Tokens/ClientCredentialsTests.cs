using System.Net;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

[TestFixture(DatabaseKind.Sqlite)]
[TestFixture(DatabaseKind.PostgreSql)]
public class ClientCredentialsTests(DatabaseKind database) : AgentServerFixture(database)
{
    [Test]
    public async Task The_seed_request_gets_a_signed_RFC_9068_token_for_the_agent_itself()
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, "research-bot", ResearchBotSecret, path: TokenEndpoint.SeedPath);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());

        var token = response.AccessToken;
        Assert.That(token.Split('.'), Has.Length.EqualTo(3), "a JWS, not a JWE");
        var header = TokenEndpoint.Header(token);
        var payload = TokenEndpoint.Payload(token);
        Assert.Multiple(() =>
        {
            Assert.That((string?)header["typ"], Is.EqualTo("at+jwt"));
            Assert.That((string?)payload["sub"], Is.EqualTo("agent:research-bot"));
            Assert.That((string?)payload["client_id"], Is.EqualTo("research-bot"));
            Assert.That((string?)payload["scope"], Is.EqualTo("read:articles"), "no scope asked: the default scopes, not every capability");
            Assert.That((string?)payload["aud"], Is.EqualTo("acme-corp-api"));
            Assert.That((string?)payload["jti"], Is.Not.Empty);
            Assert.That((long)payload["exp"]! - (long)payload["iat"]!, Is.EqualTo(300), "the agent's 5-minute lifetime");
            Assert.That(payload.ContainsKey("act"), Is.False);
            Assert.That(response.Body["expires_in"]!.GetValue<long>(), Is.InRange(299, 300), "expires_in counts down from the issuance");
        });
    }

    [Test]
    public async Task Agents_get_plain_JWTs_while_the_hosts_own_clients_keep_the_servers_encryption()
    {
        var agent = await TokenEndpoint.ClientCredentialsAsync(Client, "research-bot", ResearchBotSecret);
        var service = await TokenEndpoint.ClientCredentialsAsync(Client, "acme-admin", TestTenant.AdminSecret, "agents:admin");
        Assert.Multiple(() =>
        {
            Assert.That(agent.AccessToken.Split('.'), Has.Length.EqualTo(3), "an agent's token is a JWS any resource reads with the published keys");
            Assert.That(service.AccessToken.Split('.'), Has.Length.EqualTo(5), "the pack turns encryption off for agents' tokens only, not server-wide");
        });
    }

    [Test]
    public async Task The_token_verifies_against_the_published_JWKS()
    {
        var token = await AgentTokenAsync("search-tool");
        Assert.That((string?)TokenEndpoint.Header(token)["alg"], Is.EqualTo("ES256"), "the test host signs with its P-256 key");
        var jwks = new JsonWebKeySet(await Client.GetStringAsync(new Uri("/.well-known/jwks", UriKind.Relative)));
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Server.BaseAddress.AbsoluteUri,
            ValidAudience = "acme-corp-api",
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        });
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);

        var tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        var bad = await new JsonWebTokenHandler().ValidateTokenAsync(tampered, new TokenValidationParameters
        {
            ValidIssuer = Server.BaseAddress.AbsoluteUri,
            ValidAudience = "acme-corp-api",
            IssuerSigningKeys = jwks.GetSigningKeys(),
        });
        Assert.That(bad.IsValid, Is.False, "a tampered signature must not verify");
    }

    [Test]
    public async Task Asking_within_the_capabilities_grants_exactly_what_was_asked()
    {
        var response = await TokenEndpoint.ClientCredentialsAsync(Client, "research-bot", ResearchBotSecret, "search:web read:articles");
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["scope"], Is.EqualTo("read:articles search:web"));
    }

    [Test]
    public async Task Every_issuance_is_audited_with_the_token_id()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var token = await AgentTokenAsync("search-tool");
        var jti = (string?)TokenEndpoint.Payload(token)["jti"];
        var records = await Server.AuditAsync(new AuditQuery { AgentId = "search-tool", Outcome = AuditOutcome.Issued, From = since });
        var record = records.Single(r => r.TokenId == jti);
        Assert.Multiple(() =>
        {
            Assert.That(record.GrantType, Is.EqualTo("client_credentials"));
            Assert.That(record.Subject, Is.EqualTo("agent:search-tool"));
            Assert.That(record.ScopesGranted, Is.EqualTo("search:web"));
            Assert.That(record.Audiences, Is.EqualTo("acme-corp-api"));
            Assert.That(record.ChainDescription, Is.EqualTo("Search Tool"));
            Assert.That(record.ClientId, Is.EqualTo("search-tool"));
        });
    }

    [Test]
    public Task A_scope_beyond_the_capabilities_is_invalid_scope() => AssertRefusedAsync(
        () => TokenEndpoint.ClientCredentialsAsync(Client, "search-tool", SearchToolSecret, "search:web read:articles"),
        "invalid_scope", "scope_not_in_capabilities");

    [Test]
    public Task A_malformed_scope_is_invalid_scope() => AssertRefusedAsync(
        () => TokenEndpoint.ClientCredentialsAsync(Client, "search-tool", SearchToolSecret, "search:web bad\"scope"),
        "invalid_scope", "scope_malformed");

    [Test]
    public Task A_resource_not_registered_at_the_server_is_invalid_target() => AssertRefusedAsync(
        () => TokenEndpoint.PostAsync(Client, [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", ResearchBotSecret), ("resource", "https://payments.example/")]),
        "invalid_target", "resource_unknown");

    [Test]
    public Task A_suspended_agent_is_an_invalid_client() => AssertRefusedAsync(
        () => TokenEndpoint.ClientCredentialsAsync(Client, "suspended-bot", TestSecret), "invalid_client", "agent_suspended");

    [Test]
    public Task A_revoked_agent_is_an_invalid_client() => AssertRefusedAsync(
        () => TokenEndpoint.ClientCredentialsAsync(Client, "revoked-bot", TestSecret), "invalid_client", "agent_revoked");

    [Test]
    public Task A_wrong_secret_is_an_invalid_client() => AssertRefusedAsync(
        () => TokenEndpoint.ClientCredentialsAsync(Client, "research-bot", "not-the-secret-not-the-secret-0000"), "invalid_client", "client_authentication_failed");

    [Test]
    public Task A_duplicated_client_id_is_invalid_request() => AssertRefusedAsync(
        () => TokenEndpoint.PostAsync(Client, [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_id", "search-tool"), ("client_secret", ResearchBotSecret)]),
        "invalid_request", "parameter_duplicated");

    [Test]
    public Task A_duplicated_scope_is_invalid_request() => AssertRefusedAsync(
        () => TokenEndpoint.PostAsync(Client, [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", ResearchBotSecret), ("scope", "read:articles"), ("scope", "search:web")]),
        "invalid_request", "parameter_duplicated");

    [Test]
    public Task A_client_credentials_request_without_a_client_is_refused() => AssertRefusedAsync(
        () => TokenEndpoint.PostAsync(Client, [("grant_type", "client_credentials")]), "invalid_client", "client_identification_required");

    [Test]
    public async Task A_refresh_token_cannot_be_redeemed_anonymously()
    {
        var tokens = await UserConsentFlow.UserTokensAsync(Server, "research-bot", ResearchBotSecret, "offline_access read:articles");
        await AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client, [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"]!)]),
            "invalid_client", "client_identification_required");
    }

    [Test]
    public async Task A_remembered_secret_verification_never_lets_a_wrong_or_replaced_secret_in()
    {
        await RegisterAsync("rotating-bot", ["read:articles"]);
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotating-bot", TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotating-bot", TestSecret)).Status, Is.EqualTo(HttpStatusCode.OK), "served from the cache");
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotating-bot", TestSecret + "x")).Status, Is.EqualTo(HttpStatusCode.Unauthorized));

        const string Rotated = "rotated-agent-secret-0123456789abcdef";
        await Server.WithServiceAsync<bool, LumoAuth.Agents.IAgentClientRegistrar>(async clients =>
        {
            await clients.SetSecretAsync("rotating-bot", Rotated, default);
            return true;
        });
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotating-bot", TestSecret)).Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the old secret, though remembered, no longer matches");
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(Client, "rotating-bot", Rotated)).Status, Is.EqualTo(HttpStatusCode.OK));
    }
}
