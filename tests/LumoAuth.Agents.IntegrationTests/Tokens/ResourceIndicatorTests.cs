using System.Net;
using System.Security.Cryptography;
using System.Text;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// RFC 8707 resource indicators through the whole server: registered resources become the token's <c>aud</c> on agent
/// grants and on a user's app's code flow, several values narrow as the RFC says, and every other value is
/// <c>invalid_target</c> with its code and audit record.
/// </summary>
[TestFixture(DatabaseKind.Sqlite)]
public sealed class ResourceIndicatorTests(DatabaseKind database) : AgentServerFixture(database)
{
    private const string Mcp = "https://mcp.acme-corp.example/mcp";
    private const string Articles = "https://articles.acme-corp.example/";
    private const string Unregistered = "https://evil.example/mcp";
    private const string NotesApp = "notes-app";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["LumoAgents:Resources:0:Identifier"] = Mcp,
        ["LumoAgents:Resources:0:Name"] = "Research MCP server",
        ["LumoAgents:Resources:0:Scopes:0"] = "search:web",
        ["LumoAgents:Resources:0:Scopes:1"] = "read:articles",
        ["LumoAgents:Resources:1:Identifier"] = Articles,
    };

    [OneTimeSetUp]
    public async Task RegisterClientsAsync()
    {
        await RegisterAsync("mcp-bot", ["search:web", "read:articles", "write:notes"], tools: [Mcp]);
        await CreateNotesAppAsync();
    }

    [Test]
    public async Task An_agents_client_credentials_for_a_registered_resource_it_may_call_name_exactly_that_resource_as_audience()
    {
        var response = await TokenEndpoint.PostAsync(Client, AgentRequest("mcp-bot", ("resource", Mcp), ("scope", "search:web")));
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That((string?)TokenEndpoint.Payload(response.AccessToken)["aud"], Is.EqualTo(Mcp));
    }

    [Test]
    public Task A_resource_that_is_not_registered_is_invalid_target() =>
        AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client, AgentRequest("mcp-bot", ("resource", Unregistered))), "invalid_target", "resource_unknown");

    [Test]
    public Task A_registered_resource_that_is_not_an_allowed_tool_of_the_agent_is_invalid_target() =>
        AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client, AgentRequest("mcp-bot", ("resource", Articles))), "invalid_target", "target_not_allowed");

    [Test]
    public Task A_scope_the_named_resource_does_not_accept_is_invalid_scope() =>
        AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client, AgentRequest("mcp-bot", ("resource", Mcp), ("scope", "write:notes"))), "invalid_scope", "scope_exceeds_resource");

    [Test]
    public async Task A_token_exchange_names_the_resource_as_the_audience_of_the_delegated_token_and_refuses_an_unknown_one()
    {
        var actor = await AgentTokenAsync("research-bot");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, "search:web", null, ("resource", Unregistered)), "invalid_target", "resource_unknown");
        await AssertRefusedAsync(() => ExchangeAsync(AliceToken, actor, "search:web", null, ("resource", Mcp)), "invalid_target", "target_not_allowed");
    }

    [Test]
    public async Task A_users_app_gets_a_token_for_the_resource_it_asked_for_with_the_user_as_subject()
    {
        var grant = await AuthorizeAsync(NotesApp, "search:web", Mcp);
        var token = await RedeemAsync(grant);
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        var payload = TokenEndpoint.Payload(token.AccessToken);
        Assert.Multiple(() =>
        {
            Assert.That((string?)payload["aud"], Is.EqualTo(Mcp));
            Assert.That((string?)payload["sub"], Is.EqualTo("user:alice"));
            Assert.That(payload.ContainsKey("act"), Is.False, "a user's own app acts for nobody");
        });
    }

    [Test]
    public async Task Several_resources_granted_narrow_to_the_one_each_redemption_names_and_no_further()
    {
        var grant = await AuthorizeAsync(NotesApp, "search:web offline_access", Mcp, Articles);
        var first = await RedeemAsync(grant, ("resource", Mcp));
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.ToString());
        Assert.That((string?)TokenEndpoint.Payload(first.AccessToken)["aud"], Is.EqualTo(Mcp));

        // The refresh token keeps the whole grant: it buys a token for the other resource, and for that one alone.
        var refreshed = await TokenEndpoint.PostAsync(Client,
            [("grant_type", "refresh_token"), ("client_id", NotesApp), ("refresh_token", first["refresh_token"]!), ("resource", Articles)]);
        Assert.That(refreshed.Status, Is.EqualTo(HttpStatusCode.OK), refreshed.ToString());
        Assert.That((string?)TokenEndpoint.Payload(refreshed.AccessToken)["aud"], Is.EqualTo(Articles));

        await AssertRefusedAsync(() => TokenEndpoint.PostAsync(Client,
            [("grant_type", "refresh_token"), ("client_id", NotesApp), ("refresh_token", refreshed["refresh_token"]!), ("resource", Unregistered)]),
            "invalid_target", "resource_unknown");
    }

    [Test]
    public async Task A_code_granted_for_one_resource_buys_no_token_for_another()
    {
        var grant = await AuthorizeAsync(NotesApp, "search:web", Mcp);
        await AssertRefusedAsync(() => RedeemAsync(grant, ("resource", Articles)), "invalid_target", "resource_not_granted");
    }

    [Test]
    public async Task An_authorization_request_for_a_resource_the_app_holds_no_permission_for_is_refused_and_audited()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        var answer = await AuthorizeAsync(NotesApp, "search:web", Articles);
        Assert.That(answer.Error, Is.Null, "the notes app holds the permission for the articles API");

        await RemoveArticlesPermissionAsync();
        answer = await AuthorizeAsync(NotesApp, "search:web", Articles);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Error, Is.EqualTo("invalid_target"));
            Assert.That(answer.ErrorUri, Does.EndWith("#target_not_allowed"));
            Assert.That(answer.Code, Is.Null);
        });
        var records = await Server.AuditAsync(new AuditQuery { ReasonCode = "target_not_allowed", Outcome = AuditOutcome.Refused, From = since });
        Assert.That(records.Select(r => r.ClientId), Does.Contain(NotesApp));
        await CreateNotesAppAsync();
    }

    [Test]
    public async Task An_authorization_request_for_an_unregistered_resource_is_invalid_target()
    {
        var answer = await AuthorizeAsync(NotesApp, "search:web", Unregistered);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Error, Is.EqualTo("invalid_target"));
            Assert.That(answer.Code, Is.Null);
        });
    }

    [Test]
    public async Task An_agent_asking_a_user_for_a_resource_outside_its_allowed_tools_is_invalid_target()
    {
        var answer = await AuthorizeAsync("mcp-bot", "search:web", Articles);
        Assert.Multiple(() =>
        {
            Assert.That(answer.Error, Is.EqualTo("invalid_target"));
            Assert.That(answer.ErrorUri, Does.EndWith("#target_not_allowed"));
        });
        var allowed = await AuthorizeAsync("mcp-bot", "search:web", Mcp);
        var token = await RedeemAsync(allowed, ("client_secret", TestSecret));
        Assert.That(token.Status, Is.EqualTo(HttpStatusCode.OK), token.ToString());
        Assert.That((string?)TokenEndpoint.Payload(token.AccessToken)["aud"], Is.EqualTo(Mcp));
    }

    private static List<(string, string)> AgentRequest(string agentId, params (string, string)[] extra) =>
        [("grant_type", "client_credentials"), ("client_id", agentId), ("client_secret", TestSecret), .. extra];

    private sealed record AuthorizationAnswer(string? Code, string? Error, string? ErrorUri, string Verifier);

    /// <summary>The authorization leg as a user's app runs it: PKCE, the resources asked for, Alice signed in at once.</summary>
    private async Task<AuthorizationAnswer> AuthorizeAsync(string clientId, string scope, params string[] resources)
    {
        using var browser = Server.Browser();
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var parameters = new List<(string Name, string Value)>
        {
            ("client_id", clientId), ("response_type", "code"), ("redirect_uri", UserConsentFlow.RedirectUri), ("scope", scope),
            ("code_challenge", Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))), ("code_challenge_method", "S256"),
            ("state", "s-" + Guid.NewGuid().ToString("N")),
        };
        parameters.AddRange(resources.Select(r => ("resource", r)));
        using var response = await browser.GetAsync(new Uri("/connect/authorize?" + string.Join('&', parameters.Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value))), UriKind.Relative));
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            // Shown rather than redirected (OpenIddict's rendering of an authorization error: "name:value" lines).
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(':', 2)).Where(parts => parts.Length == 2).ToDictionary(parts => parts[0], parts => parts[1]);
            return new AuthorizationAnswer(null, lines.GetValueOrDefault("error"), lines.GetValueOrDefault("error_uri"), verifier);
        }

        var query = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        string? Value(string name) => query.TryGetValue(name, out var value) ? value.ToString() : null;
        return new AuthorizationAnswer(Value("code"), Value("error"), Value("error_uri"), verifier);
    }

    private Task<TokenResponse> RedeemAsync(AuthorizationAnswer grant, params (string, string)[] extra)
    {
        Assert.That(grant.Code, Is.Not.Null, $"no code: {grant.Error}");
        var client = extra.Any(e => e.Item1 == "client_secret") ? "mcp-bot" : NotesApp;
        return TokenEndpoint.PostAsync(Client,
        [
            ("grant_type", "authorization_code"), ("code", grant.Code!), ("redirect_uri", UserConsentFlow.RedirectUri),
            ("client_id", client), ("code_verifier", grant.Verifier), .. extra,
        ]);
    }

    /// <summary>A user's own app (not an agent): public, PKCE, allowed both registered resources.</summary>
    private Task<bool> CreateNotesAppAsync() => Server.WithServiceAsync<bool, IOpenIddictApplicationManager>(async applications =>
    {
        if (await applications.FindByClientIdAsync(NotesApp) is { } existing)
        {
            await applications.DeleteAsync(existing);
        }

        var descriptor = new OpenIddictApplicationDescriptor { ClientId = NotesApp, ClientType = ClientTypes.Public, DisplayName = "Notes" };
        descriptor.RedirectUris.Add(new Uri(UserConsentFlow.RedirectUri));
        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken,
            Permissions.ResponseTypes.Code, Permissions.Prefixes.Scope + "search:web", Permissions.Prefixes.Scope + OpenIddictConstants.Scopes.OfflineAccess,
            Permissions.Prefixes.Resource + Mcp, Permissions.Prefixes.Resource + Articles,
        ]);
        descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        await applications.CreateAsync(descriptor);
        return true;
    });

    private Task<bool> RemoveArticlesPermissionAsync() => Server.WithServiceAsync<bool, IOpenIddictApplicationManager>(async applications =>
    {
        var application = await applications.FindByClientIdAsync(NotesApp) ?? throw new AssertionException("no notes app");
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application);
        descriptor.Permissions.Remove(Permissions.Prefixes.Resource + Articles);
        await applications.UpdateAsync(application, descriptor);
        return true;
    });
}
