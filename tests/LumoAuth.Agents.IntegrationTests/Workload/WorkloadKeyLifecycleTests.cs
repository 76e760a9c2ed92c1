using System.Net;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace LumoAuth.Agents.IntegrationTests.Workload;

/// <summary>
/// Key rotation and issuer outages, on a server whose clock the test moves (FakeTimeProvider), so throttle windows
/// and the last-known-good window pass without waiting.
/// </summary>
public class WorkloadKeyLifecycleTests
{
    private TestIssuer _issuer = null!;
    private LibraryServer _server = null!;
    private HttpClient _client = null!;
    private FakeTimeProvider _time = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _issuer = await TestIssuer.StartAsync();
        _time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?>();
        var index = 0;
        foreach (var name in new[] { "rotating", "flaky" })
        {
            _issuer.Add(name);
            var prefix = $"LumoAgents:Workload:Issuers:{index}:";
            settings[prefix + "Name"] = name;
            settings[prefix + "Issuer"] = _issuer.IssuerOf(name);
            settings[prefix + "UseDiscovery"] = "true";
            settings[prefix + "Audiences:0"] = WorkloadServerFixture.Audience;
            settings[prefix + "AllowHttp"] = "true";
            settings[prefix + "AllowPrivateNetwork"] = "true";
            settings[$"LumoAgents:Workload:Bindings:{index}:AgentId"] = "research-bot";
            settings[$"LumoAgents:Workload:Bindings:{index}:Issuer"] = name;
            settings[$"LumoAgents:Workload:Bindings:{index}:Subject"] = name + "-service";
            index++;
        }

        _server = await LibraryServer.StartAsync(new LibraryServerOptions
        {
            Settings = settings,
            ConfigureServices = services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time)),
        });
        _client = _server.Http();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_issuer is not null)
        {
            await _issuer.DisposeAsync();
        }
    }

    private Task<TokenResponse> LoginAsync(string issuer) => TokenEndpoint.PostAsync(_client,
    [
        ("grant_type", TokenEndpoint.TokenExchange),
        ("subject_token", _issuer.Mint(issuer, new Dictionary<string, object> { ["sub"] = issuer + "-service", ["aud"] = WorkloadServerFixture.Audience }, _time.GetUtcNow())),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ("subject_issuer", issuer),
    ]);

    [Test]
    public async Task After_a_key_rotation_the_new_kid_works_after_exactly_one_refresh()
    {
        Assert.That((await LoginAsync("rotating")).Status, Is.EqualTo(HttpStatusCode.OK));
        var before = _issuer.Fetches("rotating");

        _issuer.Rotate("rotating");
        var tooSoon = await LoginAsync("rotating");
        Assert.That(tooSoon["error_code"], Is.EqualTo("workload_key_unknown"), "within the throttle window the keys are not fetched again");
        Assert.That(_issuer.Fetches("rotating"), Is.EqualTo(before));

        _time.Advance(TimeSpan.FromSeconds(31));
        var rotated = await LoginAsync("rotating");
        Assert.That(rotated.Status, Is.EqualTo(HttpStatusCode.OK), rotated.ToString());
        Assert.That(_issuer.Fetches("rotating") - before, Is.EqualTo(1));
        Assert.That((await LoginAsync("rotating")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(_issuer.Fetches("rotating") - before, Is.EqualTo(1), "the refreshed keys are cached");
    }

    [Test]
    public async Task While_the_issuer_is_down_its_last_good_keys_work_within_the_window_then_it_fails_closed()
    {
        Assert.That((await LoginAsync("flaky")).Status, Is.EqualTo(HttpStatusCode.OK));
        _issuer.SetDown("flaky", true);
        try
        {
            // Past the key refresh interval the server tries again, fails, and keeps the last good keys.
            _time.Advance(TimeSpan.FromHours(2));
            var during = await LoginAsync("flaky");
            Assert.That(during.Status, Is.EqualTo(HttpStatusCode.OK), during.ToString());

            _time.Advance(TimeSpan.FromHours(23));
            var after = await LoginAsync("flaky");
            Assert.That(after["error"], Is.EqualTo("invalid_grant"), after.ToString());
            Assert.That(after["error_code"], Is.EqualTo("workload_keys_unavailable"));
        }
        finally
        {
            _issuer.SetDown("flaky", false);
        }

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.That((await LoginAsync("flaky")).Status, Is.EqualTo(HttpStatusCode.OK), "back when the issuer is");
    }
}
