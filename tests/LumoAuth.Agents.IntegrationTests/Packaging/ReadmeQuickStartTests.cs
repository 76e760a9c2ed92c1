using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Packaging;

/// <summary>
/// The pack as a new user meets it: the packages packed to a folder feed, the README's quick start typed into a new
/// web project that takes them from that feed, built, started, and asked for a token by the agent it registers.
/// One pack, one restore, one build for the fixture.
/// </summary>
[TestFixture, Category("Packaging")]
public sealed class ReadmeQuickStartTests
{
    // The agent and the setting the README's Program.cs registers it with.
    private const string AgentId = "research-bot";
    private const string SecretSetting = "ResearchBot__Secret";

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);

    private string _work = null!;
    private PackedFeed _feed = null!;

    [OneTimeSetUp]
    public async Task PackAsync()
    {
        _work = Scratch.Directory("quickstart-");
        _feed = await PackedFeed.PackAsync(_work);
    }

    [OneTimeTearDown]
    public void RemovePackedVersion() => _feed?.Dispose();

    [Test]
    public void Every_project_under_src_is_packed_with_its_readme_description_license_and_tags()
    {
        var packed = _feed.PackagePaths.Select(Path.GetFileName).ToList();
        Assert.That(packed, Is.EquivalentTo(_feed.ProjectIds.Select(id => $"{id}.{_feed.Version}.nupkg")));

        foreach (var path in _feed.PackagePaths)
        {
            using var package = ZipFile.OpenRead(path);
            var nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using var stream = nuspec.Open();
            var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Field(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

            var id = Field("id");
            Assert.Multiple(() =>
            {
                Assert.That(Field("readme"), Is.EqualTo("PACKAGE.md"), $"{id}: readme");
                Assert.That(package.GetEntry("PACKAGE.md"), Is.Not.Null, $"{id}: PACKAGE.md inside the package");
                Assert.That(Field("description"), Is.Not.Empty, $"{id}: description");
                Assert.That(Field("license"), Is.EqualTo("Apache-2.0"), $"{id}: license");
                Assert.That(Field("tags"), Is.Not.Empty, $"{id}: tags");
                Assert.That(package.GetEntry($"lib/net10.0/{id}.xml"), Is.Not.Null, $"{id}: XML documentation");
            });
        }
    }

    [Test]
    public async Task The_readme_quick_start_built_from_the_packed_packages_gives_its_agent_a_client_credentials_jwt()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "README.md"));
        var project = await ReadmeQuickStart.CreateAsync(Path.Combine(_work, "QuickStart"), readme, _feed);
        var assembly = await ReadmeQuickStart.BuildAsync(project);

        var secret = "quick-start-" + Guid.NewGuid().ToString("N"); // 44 characters: the registry asks for 32 or more
        await using var server = await QuickStartProcess.StartAsync(assembly, Path.GetDirectoryName(project)!,
            new Dictionary<string, string> { [SecretSetting] = secret }, StartDeadline);
        using var http = server.CreateClient();

        using var response = await http.PostAsync(new Uri("connect/token", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = AgentId,
            ["client_secret"] = secret,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body + "\n" + server.Output);

        var token = JsonNode.Parse(body)!;
        Assert.That((string?)token["token_type"], Is.EqualTo("Bearer"), body);
        var discovery = JsonNode.Parse(await http.GetStringAsync(new Uri(".well-known/openid-configuration", UriKind.Relative)))!;
        var keys = new JsonWebKeySet(await http.GetStringAsync(new Uri((string)discovery["jwks_uri"]!)));

        var validated = await new JsonWebTokenHandler().ValidateTokenAsync((string)token["access_token"]!, new TokenValidationParameters
        {
            ValidIssuer = (string?)discovery["issuer"],
            ValidateAudience = false, // the audience is the README's choice; that there is one is asserted below
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidTypes = ["at+jwt"],
        });
        Assert.That(validated.IsValid, Is.True, validated.Exception?.Message);
        var jwt = (JsonWebToken)validated.SecurityToken;
        Assert.Multiple(() =>
        {
            Assert.That(jwt.Subject, Is.EqualTo("agent:" + AgentId));
            Assert.That(jwt.GetClaim("client_id").Value, Is.EqualTo(AgentId));
            Assert.That(jwt.Audiences, Is.Not.Empty);
        });
    }
}
