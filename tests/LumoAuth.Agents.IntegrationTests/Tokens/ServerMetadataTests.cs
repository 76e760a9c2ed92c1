using System.Net;
using System.Text.Json.Nodes;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>
/// RFC 8414 authorization server metadata as OAuth clients (MCP clients among them) read it: at
/// <c>/.well-known/oauth-authorization-server</c>, the same document as OpenID Connect discovery, and for an issuer with a
/// path also at the path-inserted address.
/// </summary>
public sealed class ServerMetadataTests
{
    private static readonly Uri TenantIssuer = new("https://login.acme-corp.example/t/acme-corp/");

    [Test]
    public async Task The_oauth_metadata_is_the_discovery_document_and_says_S256_and_iss()
    {
        await using var server = await LibraryServer.StartAsync(DatabaseKind.Sqlite);
        using var client = server.Http();
        var oauth = await ReadAsync(client, "/.well-known/oauth-authorization-server");
        var oidc = await ReadAsync(client, "/.well-known/openid-configuration");
        Assert.Multiple(() =>
        {
            Assert.That(oauth.ToJsonString(), Is.EqualTo(oidc.ToJsonString()), "one document at both addresses");
            Assert.That((string?)oauth["issuer"], Is.EqualTo(server.BaseAddress.AbsoluteUri));
            Assert.That(TokenEndpoint.Compact(oauth["code_challenge_methods_supported"]), Is.EqualTo("""["S256"]"""));
            Assert.That((bool?)oauth["authorization_response_iss_parameter_supported"], Is.True);
        });
    }

    [Test]
    public async Task For_an_issuer_with_a_path_the_metadata_is_also_at_the_path_inserted_address()
    {
        await using var server = await LibraryServer.StartAsync(new LibraryServerOptions { Issuer = TenantIssuer });
        using var client = server.Http();
        var inserted = await ReadAsync(client, "/.well-known/oauth-authorization-server/t/acme-corp");
        var oidc = await ReadAsync(client, "/.well-known/openid-configuration");
        Assert.Multiple(() =>
        {
            Assert.That((string?)inserted["issuer"], Is.EqualTo(TenantIssuer.AbsoluteUri));
            Assert.That(inserted.ToJsonString(), Is.EqualTo(oidc.ToJsonString()));
        });
        using var other = await client.GetAsync(new Uri("/.well-known/oauth-authorization-server/t/other-tenant", UriKind.Relative));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another tenant's path is not this issuer's");
    }

    [Test]
    public async Task The_authorization_response_names_the_issuer()
    {
        await using var server = await LibraryServer.StartAsync(DatabaseKind.Sqlite);
        using var browser = server.Browser();
        var verifier = new string('v', 43);
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        using var response = await browser.GetAsync(new Uri(
            $"/connect/authorize?client_id=research-bot&response_type=code&scope=read%3Aarticles&state=s1&code_challenge={challenge}&code_challenge_method=S256&redirect_uri={Uri.EscapeDataString(UserConsentFlow.RedirectUri)}",
            UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.That(query["iss"].ToString(), Is.EqualTo(server.BaseAddress.AbsoluteUri), "RFC 9207");
    }

    private static async Task<JsonObject> ReadAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path + ": " + text);
        return JsonNode.Parse(text)!.AsObject();
    }
}
