using System.Net;
using System.Text.RegularExpressions;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.IntegrationTests.Hosting;
using Microsoft.AspNetCore.Identity;

namespace LumoAuth.Agents.IntegrationTests.Samples;

/// <summary>The sample's admin pages over real HTTP: who may see them, and bad input that changes nothing.</summary>
public partial class AdminPagesTests
{
    private const string BobPassword = "Bob-Local-Trial-1!";
    private SampleServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await SampleServer.StartAsync(DatabaseKind.Sqlite);
        var created = await _server.WithServiceAsync<IdentityResult, UserManager<IdentityUser>>(users =>
            users.CreateAsync(new IdentityUser { Id = "bob", UserName = "bob" }, BobPassword));
        Assert.That(created.Succeeded, Is.True, string.Join("; ", created.Errors.Select(e => e.Description)));
        foreach (var id in new[] { "page-bot", "stale-bot", "gone-bot" })
        {
            var registered = await _server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
            {
                Id = id, DisplayName = id, Owner = "page tests", Capabilities = ["search:web"], DefaultScopes = ["search:web"], ClientSecret = AgentServerFixture.TestSecret,
                Status = id == "gone-bot" ? AgentStatus.Revoked : AgentStatus.Active,
            }).AsTask());
            Assert.That(registered.Succeeded, Is.True, string.Join("; ", registered.Errors));
        }
    }

    [OneTimeTearDown]
    public void Stop() => _server?.Dispose();

    [TestCase("/admin/agents")]
    [TestCase("/admin/audit?outcome=refused")]
    public async Task Anonymous_visitors_are_sent_to_the_login_page_and_back(string path)
    {
        using var browser = _server.Browser();
        using var response = await browser.GetAsync(new Uri(path, UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location!.OriginalString, Is.EqualTo("/account/login?returnUrl=" + Uri.EscapeDataString(path)));
    }

    [Test]
    public async Task A_signed_in_user_who_is_not_an_administrator_is_forbidden()
    {
        using var browser = await SignedInAsync("bob", BobPassword);
        using var agents = await browser.GetAsync(new Uri("/admin/agents", UriKind.Relative));
        Assert.That(agents.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await agents.Content.ReadAsStringAsync(), Does.Contain("Administrators only").And.Contain("Sample:Admins"));
        using var audit = await browser.GetAsync(new Uri("/admin/audit", UriKind.Relative));
        Assert.That(audit.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var consents = await browser.GetAsync(new Uri("/account/consents", UriKind.Relative));
        Assert.That(await consents.Content.ReadAsStringAsync(), Does.Not.Contain("/admin/agents"), "no link to pages bob may not see");
    }

    [Test]
    public async Task The_administrator_finds_the_admin_pages_from_her_consent_list()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        var consents = await browser.GetStringAsync(new Uri("/account/consents", UriKind.Relative));
        Assert.That(consents, Does.Contain("href=\"/admin/agents\"").And.Contain("href=\"/admin/audit\""));
    }

    [Test]
    public async Task A_post_without_a_valid_antiforgery_token_changes_nothing()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        var form = await FormAsync(browser, "page-bot", "suspend");
        form["__RequestVerificationToken"] = "forged";
        using var response = await browser.PostAsync(new Uri("/admin/agents/page-bot/suspend", UriKind.Relative), new FormUrlEncodedContent(form));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Nothing was changed"));
        Assert.That((await FindAsync("page-bot"))!.Status, Is.EqualTo(AgentStatus.Active));
    }

    [Test]
    public async Task A_post_for_an_unknown_agent_is_a_404_page()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        var form = await FormAsync(browser, "page-bot", "suspend");
        using var response = await browser.PostAsync(new Uri("/admin/agents/no-such-bot/suspend", UriKind.Relative), new FormUrlEncodedContent(form));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("No agent &#x27;no-such-bot&#x27; is registered"));
    }

    [Test]
    public async Task A_form_from_before_someone_elses_change_is_refused_and_audited()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        var form = await FormAsync(browser, "stale-bot", "suspend");
        Assert.That(await _server.WithServiceAsync<bool, IAgentRegistry>(registry => registry.SetStatusAsync("stale-bot", AgentStatus.Suspended).AsTask()), Is.True);
        Assert.That(await _server.WithServiceAsync<bool, IAgentRegistry>(registry => registry.SetStatusAsync("stale-bot", AgentStatus.Active).AsTask()), Is.True);

        using var response = await browser.PostAsync(new Uri("/admin/agents/stale-bot/suspend", UriKind.Relative), new FormUrlEncodedContent(form));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That((await FindAsync("stale-bot"))!.Status, Is.EqualTo(AgentStatus.Active));
        var records = await _server.AuditAsync(new AuditQuery { AgentId = "stale-bot", Outcome = AuditOutcome.Refused });
        Assert.That(records.Select(r => (r.GrantType, r.ReasonCode, r.ClientId)), Does.Contain(("admin:suspend", "precondition_failed", "user:alice")));
    }

    [Test]
    public async Task A_revoked_agent_cannot_be_resumed_from_the_page()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        var page = await browser.GetStringAsync(new Uri("/admin/agents", UriKind.Relative));
        Assert.That(page, Does.Not.Contain("/admin/agents/gone-bot/"), "a revoked agent offers no buttons");

        // The form a page would have shown, sent anyway.
        var form = await FormAsync(browser, "page-bot", "suspend");
        form["version"] = (await FindAsync("gone-bot"))!.Version;
        using var response = await browser.PostAsync(new Uri("/admin/agents/gone-bot/resume", UriKind.Relative), new FormUrlEncodedContent(form));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That((await FindAsync("gone-bot"))!.Status, Is.EqualTo(AgentStatus.Revoked));
        var records = await _server.AuditAsync(new AuditQuery { AgentId = "gone-bot", Outcome = AuditOutcome.Refused });
        Assert.That(records.Select(r => r.ReasonCode), Does.Contain("agent_revoked"));
    }

    [Test]
    public async Task An_unknown_outcome_filter_is_a_400_page()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        using var response = await browser.GetAsync(new Uri("/admin/audit?outcome=maybe", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("issued, refused or changed"));
    }

    [Test]
    public async Task Names_and_descriptions_are_html_encoded()
    {
        var registered = await _server.WithServiceAsync<AgentRegistrationResult, IAgentRegistry>(registry => registry.RegisterAsync(new AgentRegistration
        {
            Id = "markup-bot", DisplayName = "<script>alert(1)</script>", Owner = "<b>owner</b>", Capabilities = ["search:web"], DefaultScopes = ["search:web"],
        }).AsTask());
        Assert.That(registered.Succeeded, Is.True, string.Join("; ", registered.Errors));
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);
        var page = await browser.GetStringAsync(new Uri("/admin/agents", UriKind.Relative));
        Assert.That(page, Does.Not.Contain("<script>alert(1)</script>").And.Not.Contain("<b>owner</b>"));
        Assert.That(page, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    [Test]
    public async Task Approval_rules_and_bound_tokens_are_set_from_the_agents_page_and_audited()
    {
        using var browser = await SignedInAsync("alice", UserConsentFlow.AlicePassword);

        // Require approval of search:web, lasting 15 minutes.
        var form = await FormAsync(browser, "page-bot", "approval-rules");
        form["capability"] = "search:web";
        form["minutes"] = "15";
        using (var added = await browser.PostAsync(new Uri("/admin/agents/page-bot/approval-rules", UriKind.Relative), new FormUrlEncodedContent(form)))
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await added.Content.ReadAsStringAsync());
        }

        Assert.That((await FindAsync("page-bot"))!.ApprovalRules, Is.EqualTo(new[] { new LumoAuth.Agents.Approvals.ApprovalRule("search:web", TimeSpan.FromMinutes(15)) }));
        var page = await browser.GetStringAsync(new Uri("/admin/agents", UriKind.Relative));
        Assert.That(page, Does.Contain("<code>search:web</code> lasts 15 min"));

        // A duration that is not one, and a stale form, change nothing.
        form = await FormAsync(browser, "page-bot", "approval-rules");
        form["capability"] = "search:web";
        form["minutes"] = "forever";
        using (var bad = await browser.PostAsync(new Uri("/admin/agents/page-bot/approval-rules", UriKind.Relative), new FormUrlEncodedContent(form)))
        {
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        // DPoP-bound tokens only, then back.
        var toggle = await FormAsync(browser, "page-bot", "sender-constrained");
        Assert.That(toggle["require"], Is.EqualTo("true"));
        using (var on = await browser.PostAsync(new Uri("/admin/agents/page-bot/sender-constrained", UriKind.Relative), new FormUrlEncodedContent(toggle)))
        {
            Assert.That(on.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await on.Content.ReadAsStringAsync());
        }

        Assert.That((await FindAsync("page-bot"))!.RequireSenderConstrainedTokens, Is.True);
        using (var stale = await browser.PostAsync(new Uri("/admin/agents/page-bot/sender-constrained", UriKind.Relative), new FormUrlEncodedContent(toggle)))
        {
            Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed), "the form carried the version before the change");
        }

        var off = await FormAsync(browser, "page-bot", "sender-constrained");
        Assert.That(off["require"], Is.EqualTo("false"));
        using (var back = await browser.PostAsync(new Uri("/admin/agents/page-bot/sender-constrained", UriKind.Relative), new FormUrlEncodedContent(off)))
        {
            Assert.That(back.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        }

        var agent = (await FindAsync("page-bot"))!;
        Assert.Multiple(() =>
        {
            Assert.That(agent.RequireSenderConstrainedTokens, Is.False);
            Assert.That(agent.ApprovalRules, Has.Count.EqualTo(1), "the rule survived the other changes");
        });
        var records = await _server.AuditAsync(new AuditQuery { AgentId = "page-bot", Outcome = AuditOutcome.Changed });
        Assert.That(records.Count(r => r.GrantType == "admin:update" && r.ClientId == "user:alice"), Is.EqualTo(3));
    }

    private async Task<HttpClient> SignedInAsync(string userName, string password)
    {
        var browser = _server.Browser();
        var fields = UserConsentFlow.HiddenFields(await browser.GetStringAsync(new Uri("/account/login", UriKind.Relative)));
        fields["username"] = userName;
        fields["password"] = password;
        using var login = await browser.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "login failed: " + await login.Content.ReadAsStringAsync());
        return browser;
    }

    /// <summary>The hidden fields of the agents page's form for <paramref name="action"/> on <paramref name="agentId"/>.</summary>
    private static async Task<Dictionary<string, string>> FormAsync(HttpClient browser, string agentId, string action)
    {
        var page = await browser.GetStringAsync(new Uri("/admin/agents", UriKind.Relative));
        var form = FormTag().Matches(page).FirstOrDefault(m => m.Groups[1].Value == $"/admin/agents/{agentId}/{action}");
        Assert.That(form, Is.Not.Null, $"no {action} form for {agentId}");
        return UserConsentFlow.HiddenFields(form!.Groups[2].Value);
    }

    private Task<AgentProfile?> FindAsync(string id) =>
        _server.WithServiceAsync<AgentProfile?, IAgentStore>(store => store.FindAsync(id, default).AsTask());

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\"(?: style=\"display:inline\")?>(.*?)</form>", RegexOptions.Singleline)]
    private static partial Regex FormTag();
}
