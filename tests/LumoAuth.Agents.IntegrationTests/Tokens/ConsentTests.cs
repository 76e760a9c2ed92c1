using System.Net;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>Verify before delegating: what a user's consent allows stops when it is withdrawn or the agent suspended.</summary>
[TestFixture(DatabaseKind.Sqlite)]
public class ConsentTests(DatabaseKind database) : AgentServerFixture(database)
{
    [Test]
    public async Task A_refresh_token_stops_working_once_consent_is_withdrawn_or_the_agent_suspended()
    {
        await RegisterAsync("refresh-bot", ["read:articles", "delegate:user"], canAct: true);
        var tokens = await UserConsentFlow.UserTokensAsync(Server, "refresh-bot", TestSecret, "offline_access read:articles");
        var refresh = tokens["refresh_token"]!;
        Task<TokenResponse> Redeem() => TokenEndpoint.PostAsync(Client,
            [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "refresh-bot"), ("client_secret", TestSecret)]);

        var first = await Redeem();
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.ToString());
        refresh = first["refresh_token"] ?? refresh;

        await NextSecondAsync(); // token times are whole seconds: the stop must come in a later second than the token
        await SetStatusAsync("refresh-bot", LumoAuth.Agents.AgentStatus.Suspended);
        await AssertRefusedAsync(Redeem, "invalid_grant", "agent_suspended");
        await SetStatusAsync("refresh-bot", LumoAuth.Agents.AgentStatus.Active);
        await AssertRefusedAsync(Redeem, "invalid_grant", "token_revoked");

        // A refresh token issued after the resume works, until the consent is withdrawn; consenting again does not revive it.
        refresh = (await UserConsentFlow.UserTokensAsync(Server, "refresh-bot", TestSecret, "offline_access read:articles"))["refresh_token"]!;
        Assert.That((await Redeem()).Status, Is.EqualTo(HttpStatusCode.OK));
        await NextSecondAsync();
        await Server.WithServiceAsync<bool, IConsentStore>(store => store.WithdrawAsync("user:alice", "refresh-bot", DateTimeOffset.UtcNow, default).AsTask());
        await AssertRefusedAsync(Redeem, "invalid_grant", "consent_missing");
        await UserConsentFlow.UserTokensAsync(Server, "refresh-bot", TestSecret, "offline_access read:articles");
        await AssertRefusedAsync(Redeem, "invalid_grant", "token_revoked");
    }

    [Test]
    public async Task A_delegated_token_never_comes_with_a_refresh_or_ID_token()
    {
        var tokens = await UserConsentFlow.UserTokensAsync(Server, "research-bot", ResearchBotSecret, "openid offline_access read:articles search:web");
        Assert.That(tokens["refresh_token"], Is.Not.Null, "the user's own sign-in does get one");
        var exchanged = await ExchangeAsync(tokens.AccessToken, await AgentTokenAsync("research-bot"));
        Assert.That(exchanged.Status, Is.EqualTo(HttpStatusCode.OK), exchanged.ToString());
        Assert.That(exchanged["refresh_token"], Is.Null);
        Assert.That(exchanged["id_token"], Is.Null);
        Assert.That((string?)TokenEndpoint.Payload(exchanged.AccessToken)["scope"], Is.EqualTo("read:articles search:web"));
    }
}
