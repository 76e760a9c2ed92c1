using System.Text.Json.Nodes;
using LumoAuth.Agents.AspNetCore.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.IntegrationTests.ResourceServer;

/// <summary>What a resource believes of the token server's metadata, served by a real HTTP server on loopback.</summary>
public sealed class KeyMetadataTests
{
    private WebApplication _app = null!;
    private Uri _base = null!;
    private string _issuer = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/good/.well-known/openid-configuration", () => Results.Json(new JsonObject { ["issuer"] = _issuer + "good", ["jwks_uri"] = "../jwks" }));
        _app.MapGet("/other/.well-known/openid-configuration", () => Results.Json(new JsonObject { ["issuer"] = "https://evil.example/", ["jwks_uri"] = _issuer + "jwks" }));
        _app.MapGet("/cleartext/.well-known/openid-configuration", () => Results.Json(new JsonObject { ["issuer"] = _issuer + "cleartext", ["jwks_uri"] = "http://keys.example/jwks" }));
        _app.MapGet("/good/jwks", () => Results.Text("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"k1\",\"use\":\"sig\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}]}", "application/json"));
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First() + "/");
        _issuer = _base.AbsoluteUri;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task Keys_are_read_through_a_relative_jwks_uri_of_metadata_that_speaks_for_the_issuer()
    {
        using var client = new HttpClient();
        var keys = await TokenServerMetadata.FetchJwksAsync(client, TokenServerMetadata.WellKnown(new Uri(_base, "good"), "openid-configuration"), _issuer + "good", default);
        Assert.That(keys.Single().KeyId, Is.EqualTo("k1"));
    }

    [Test]
    public async Task Metadata_speaking_for_another_issuer_is_refused()
    {
        using var client = new HttpClient();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TokenServerMetadata.FetchJwksAsync(client, new Uri(_base, "other/.well-known/openid-configuration"), _issuer + "other", default));
        Assert.That(error!.Message, Does.Contain("another issuer"));
    }

    [Test]
    public async Task A_jwks_uri_in_cleartext_off_loopback_is_refused()
    {
        using var client = new HttpClient();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => TokenServerMetadata.FetchJwksAsync(client, new Uri(_base, "cleartext/.well-known/openid-configuration"), _issuer + "cleartext", default));
        Assert.That(error!.Message, Does.Contain("neither HTTPS nor loopback"));
    }

    [Test]
    public void Well_known_documents_of_an_issuer_with_a_path_come_after_its_path()
    {
        Assert.That(TokenServerMetadata.WellKnown(new Uri("https://auth.example/tenant"), "openid-configuration").AbsoluteUri, Is.EqualTo("https://auth.example/tenant/.well-known/openid-configuration"));
        Assert.That(TokenServerMetadata.WellKnown(new Uri("https://auth.example/"), "aauth-issuer").AbsoluteUri, Is.EqualTo("https://auth.example/.well-known/aauth-issuer"));
    }
}
