using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.AspNetCore.Metering;
using LumoAuth.Agents.IntegrationTests.Hosting;
using LumoAuth.Agents.SampleHost.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>
/// The samples on other ports: the host's public origin follows <c>--urls</c>, the API finds every token-server
/// address from one <c>--host</c>, and the agent's redirect URI follows its <c>--host</c>.
/// </summary>
public sealed class SampleAddressesTests
{
    [TestCase(null, "http://127.0.0.1:6080", "http://127.0.0.1:6080/")]
    [TestCase(null, "https://127.0.0.1:6443;http://127.0.0.1:6080", "http://127.0.0.1:6080/")]
    [TestCase(null, "https://localhost:6443", "https://localhost:6443/")]
    [TestCase(null, "http://*:6080", "http://127.0.0.1:6080/")]
    [TestCase(null, "http://+:6080", "http://127.0.0.1:6080/")]
    [TestCase(null, "http://0.0.0.0:6080", "http://127.0.0.1:6080/")]
    [TestCase(null, "http://127.0.0.1:0", "http://127.0.0.1:5080/")]
    [TestCase(null, null, "http://127.0.0.1:5080/")]
    [TestCase("https://auth.example", "http://127.0.0.1:6080", "https://auth.example/")]
    public void The_hosts_public_origin_is_the_configured_one_else_its_first_http_address(string? configured, string? urls, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sample:PublicOrigin"] = configured,
            ["urls"] = urls,
        }).Build();
        Assert.That(PublicOrigin.From(configuration).AbsoluteUri, Is.EqualTo(expected));
    }

    [Test]
    public async Task A_host_on_another_port_registers_research_bots_redirect_uri_on_that_port()
    {
        using var server = await SampleServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Sample:PublicOrigin"] = null,
            ["urls"] = "http://127.0.0.1:6080",
        });
        var redirectUris = await server.WithServiceAsync<string[], IOpenIddictApplicationManager>(async applications =>
        {
            var researchBot = await applications.FindByClientIdAsync("research-bot");
            return [.. await applications.GetRedirectUrisAsync(researchBot!)];
        });
        Assert.That(redirectUris, Is.EqualTo(new[] { "http://127.0.0.1:6080/callback" }));
    }

    [Test]
    public void The_api_takes_every_token_server_address_from_one_host_option()
    {
        var app = LumoAuth.Agents.SampleApi.Program.Create(["--host", "http://127.0.0.1:6080", "--urls", "http://127.0.0.1:6081"]);
        var bearer = app.Services.GetRequiredService<IOptionsMonitor<LumoAgentsBearerOptions>>().Get(LumoAgentsBearerDefaults.AuthenticationScheme);
        var metering = app.Services.GetRequiredService<IOptions<ApiCallMeteringOptions>>().Value;
        Assert.Multiple(() =>
        {
            Assert.That(bearer.Issuer, Is.EqualTo(new Uri("http://127.0.0.1:6080/")));
            Assert.That(metering.UsageEndpoint, Is.EqualTo("http://127.0.0.1:6080/t/acme-corp/api/v1/agents/{agentId}/usage"));
            Assert.That(metering.TokenEndpoint, Is.EqualTo(new Uri("http://127.0.0.1:6080/connect/token")));
        });
    }

    [Test]
    public void The_apis_explicit_settings_win_over_the_ones_derived_from_its_authority()
    {
        var app = LumoAuth.Agents.SampleApi.Program.Create(["--Api:Authority=http://127.0.0.1:6080/", "--Api:Issuer=https://issuer.example/"]);
        var bearer = app.Services.GetRequiredService<IOptionsMonitor<LumoAgentsBearerOptions>>().Get(LumoAgentsBearerDefaults.AuthenticationScheme);
        var metering = app.Services.GetRequiredService<IOptions<ApiCallMeteringOptions>>().Value;
        Assert.That(bearer.Issuer, Is.EqualTo(new Uri("https://issuer.example/")));
        Assert.That(metering.TokenEndpoint, Is.EqualTo(new Uri("http://127.0.0.1:6080/connect/token")));
    }

    [Test]
    public void The_api_refuses_an_authority_that_is_not_a_url_naming_the_setting() =>
        Assert.That(() => LumoAuth.Agents.SampleApi.Program.Create(["--host", "127.0.0.1:6080"]),
            Throws.InvalidOperationException.With.Message.Contains("Api:Authority"));

    [Test]
    public void The_agents_redirect_uri_follows_its_host()
    {
        var settings = LumoAuth.Agents.SampleAgent.DemoSettings.Parse(["--host", "http://127.0.0.1:6080"]);
        Assert.That(settings.Host, Is.EqualTo(new Uri("http://127.0.0.1:6080/")));
        Assert.That(settings.RedirectUri ?? new Uri(settings.Host, "callback"), Is.EqualTo(new Uri("http://127.0.0.1:6080/callback")));
    }
}
