using System.Globalization;
using System.Text;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Consent;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;

namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>
/// Admin pages for people who would rather look than read JSON: every agent with its status, capabilities, budgets
/// and users' consents (with Suspend, Resume and Revoke), and the newest audit records with each actor chain drawn
/// as a path. Status changes go through the same registry and audit trail as the registry admin API.
/// </summary>
internal static class AdminPages
{
    /// <summary>The configuration key naming the sample's administrators: comma-separated user names.</summary>
    public const string AdminsKey = "Sample:Admins";

    private const int MaxAgents = 200;
    private const int MaxConsentsPerAgent = 50;
    private const int MaxAuditRecords = 100;

    private static readonly BudgetMetric[] Metrics = Enum.GetValues<BudgetMetric>();
    private static readonly string[] OutcomeChoices = ["", "issued", "refused", "changed"];

    /// <summary>The buttons' actions, named as in the registry admin API and its audit records (<c>admin:suspend</c>, …).</summary>
    private static readonly (string Action, AgentStatus Status)[] StatusActions =
        [("suspend", AgentStatus.Suspended), ("resume", AgentStatus.Active), ("revoke", AgentStatus.Revoked)];

    private const string Styles = """
        body{max-width:75rem}
        nav{margin-bottom:1rem} nav a{margin-right:1rem}
        table{border-collapse:collapse;width:100%;font-size:.92rem} th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ddd}
        .card{border:1px solid #ccc;border-radius:.4rem;padding:.6rem 1rem;margin:1rem 0}
        .card header{display:flex;align-items:center;gap:.5rem} .card h2{font-size:1.2rem;margin:.2rem 0} .card dl{display:grid;grid-template-columns:11rem 1fr;margin:.4rem 0}
        .card dt{color:#555} .card dd{margin:0}
        table.budgets{width:auto} table.budgets td{border:0;padding:0 .8rem 0 0}
        .tag{display:inline-block;padding:0 .55rem;border-radius:1rem;color:#fff;font-size:.85rem;font-weight:600}
        .active,.issued{background:#1a7f37} .suspended{background:#9a6700} .revoked,.refused{background:#c62828} .changed{background:#0969da}
        .bar{display:inline-block;width:14rem;height:.8rem;background:#eee;border-radius:.4rem;overflow:hidden;vertical-align:middle}
        .bar>span{display:block;height:100%;background:#1a7f37} .bar>span.high{background:#9a6700} .bar>span.full{background:#c62828}
        .muted{color:#666;font-size:.85rem}
        .path{white-space:nowrap} .node{display:inline-block;border:1px solid #888;border-radius:.3rem;padding:0 .4rem;background:#f6f8fa}
        .node.user{background:#fff8c5} .arrow{margin:0 .3rem;color:#555}
        """;

    public static void MapAdminPages(this IEndpointRouteBuilder app)
    {
        // Pages for people, not APIs: kept out of the OpenAPI document.
        var admin = app.MapGroup("/admin").ExcludeFromDescription();
        admin.MapGet("/", () => Results.Redirect("/admin/agents"));
        admin.MapGet("/agents", AgentsAsync);
        foreach (var (action, status) in StatusActions)
        {
            admin.MapPost("/agents/{id}/" + action, (string id, HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, IConfiguration configuration,
                IAgentRegistry registry, AuditTrail audit) => SetStatusAsync(id, status, action, http, antiforgery, users, configuration, registry, audit));
        }

        admin.MapGet("/audit", AuditAsync);
    }

    /// <summary>
    /// SAMPLE ONLY: an administrator is a signed-in user whose name is listed in <c>Sample:Admins</c> (default
    /// <c>alice</c>). A real host decides this with roles or an authorization policy over its own user directory.
    /// </summary>
    public static bool IsAdmin(IConfiguration configuration, string? userName) =>
        !string.IsNullOrEmpty(userName) &&
        (configuration[AdminsKey] ?? "alice").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Contains(userName, StringComparer.OrdinalIgnoreCase);

    private static async Task<IResult> AgentsAsync(HttpContext http, IAntiforgery antiforgery, UserManager<IdentityUser> users, IConfiguration configuration,
        IAgentStore agents, IConsentStore consents, IBudgetLedger ledger, TimeProvider time)
    {
        var (admin, refusal) = await SignedInAdminAsync(http, users, configuration);
        if (admin is null)
        {
            return refusal!;
        }

        var cancellation = http.RequestAborted;
        var tokens = antiforgery.GetAndStoreTokens(http);
        var list = await agents.ListAsync(new AgentQuery { Take = MaxAgents }, cancellation);
        var now = time.GetUtcNow();
        var body = new StringBuilder(Nav(admin));
        body.Append(CultureInfo.InvariantCulture, $"<p>{list.Count} agent{(list.Count == 1 ? "" : "s")}{(list.Count == MaxAgents ? $" (the first {MaxAgents} by id)" : "")}. Suspend stops an agent until it is resumed; revoke stops it for good. Every change is in the <a href=\"/admin/audit\">audit trail</a>.</p>");
        foreach (var agent in list)
        {
            var used = await ledger.ReadManyAsync(agent.Id, Metrics, now, cancellation);
            var granted = await consents.ListByAgentAsync(agent.Id, 0, MaxConsentsPerAgent, cancellation);
            body.Append(AgentCard(agent, used, granted, now, tokens));
        }

        return Html.Page("Agents", body.ToString(), style: Styles);
    }

    private static string AgentCard(AgentProfile agent, IReadOnlyDictionary<BudgetMetric, long> used, IReadOnlyList<ConsentGrant> consents, DateTimeOffset now, AntiforgeryTokenSet tokens)
    {
        var status = agent.Status.ToString().ToLowerInvariant();
        var tools = agent.AllowedTools.Count == 0 ? "<span class=\"muted\">none</span>" : string.Join(" ", agent.AllowedTools.Order(StringComparer.Ordinal).Select(t => $"<code>{Html.Encode(t)}</code>"));
        var capabilities = agent.Capabilities.Count == 0 ? "<span class=\"muted\">none</span>" : string.Join(" ", agent.Capabilities.Select(c => $"<code>{Html.Encode(c)}</code>"));
        var limits = BudgetGate.Limits(agent.Budget).ToDictionary(l => l.Metric, l => l.Limit);
        var budgets = "<table class=\"budgets\">" + string.Concat(Metrics.Select(m => BudgetRow(m, used.GetValueOrDefault(m), limits.TryGetValue(m, out var limit) ? limit : null, now))) + "</table>";
        var consentRows = consents.Count == 0
            ? "<span class=\"muted\">no user has consented</span>"
            : "<table><tr><th>User</th><th>Scopes</th><th>Given</th><th>In force</th></tr>" + string.Concat(consents.Select(c =>
                $"<tr><td>{Html.Encode(NameOfUser(c.Subject))}</td><td><code>{Html.Encode(c.Scopes.ToString())}</code></td><td>{c.GrantedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC</td>" +
                $"<td>{(c.IsActive ? "yes" : $"withdrawn {c.WithdrawnAt!.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC")}</td></tr>")) + "</table>";
        return $"""
            <article class="card" id="agent-{Html.Encode(agent.Id)}" data-status="{status}">
              <header><h2>{Html.Encode(agent.DisplayName)} <code>{Html.Encode(agent.Id)}</code></h2> <span class="tag {status}">{status}</span>
                {Buttons(agent, tokens)}</header>
              <dl>
                <dt>Owner</dt><dd>{Html.Encode(agent.Owner)}</dd>
                <dt>Capabilities</dt><dd>{capabilities}</dd>
                <dt>Allowed tools</dt><dd>{tools}</dd>
                <dt>Can act for users</dt><dd>{(agent.MayActForUsers ? "yes" : agent.Delegation.CanActForUsers ? "no: allowed, but without the <code>delegate:user</code> capability" : "no")}</dd>
                <dt>Max chain depth</dt><dd>{agent.Delegation.MaxChainDepth}</dd>
                <dt>Budgets</dt><dd>{budgets}</dd>
                <dt>Consents</dt><dd>{consentRows}</dd>
              </dl>
            </article>
            """;
    }

    private static string Buttons(AgentProfile agent, AntiforgeryTokenSet tokens)
    {
        if (agent.Status == AgentStatus.Revoked)
        {
            return "<span class=\"muted\">revoked for good</span>";
        }

        string Form(string action, string label, string? confirm = null) =>
            $"<form method=\"post\" action=\"/admin/agents/{Uri.EscapeDataString(agent.Id)}/{action}\">" +
            Html.Hidden(tokens.FormFieldName, tokens.RequestToken) +
            // The version read with this page: a change made meanwhile by someone else is refused, not overwritten.
            Html.Hidden("version", agent.Version) +
            (confirm is null
                ? $"<button>{label}</button>"
                : $"<button data-confirm=\"{Html.Encode(confirm)}\" onclick=\"return confirm(this.dataset.confirm)\">{label}</button>") +
            "</form>";

        var revoke = Form("revoke", "Revoke", $"Revoke {agent.DisplayName} ({agent.Id})? A revoked agent can never be made active again.");
        return (agent.Status == AgentStatus.Active ? Form("suspend", "Suspend") : Form("resume", "Resume")) + " " + revoke;
    }

    private static string BudgetRow(BudgetMetric metric, long used, long? limit, DateTimeOffset now)
    {
        var (label, format) = metric switch
        {
            BudgetMetric.LlmTokensPerDay => ("LLM tokens today", (Func<long, string>)(v => v.ToString("N0", CultureInfo.InvariantCulture))),
            BudgetMetric.ApiCallsPerHour => ("API calls this hour", v => v.ToString("N0", CultureInfo.InvariantCulture)),
            // The ledger counts cost in ten-thousandths of the currency unit.
            _ => ("Cost this month", v => (v / 10_000m).ToString("N2", CultureInfo.InvariantCulture)),
        };
        if (limit is not { } max)
        {
            return $"<tr><td>{label}</td><td><span class=\"bar\"></span></td><td>{format(used)}</td><td class=\"muted\">no limit</td></tr>";
        }

        var percent = max <= 0 ? 100m : Math.Min(100m, used * 100m / max);
        var level = percent >= 100m ? "full" : percent >= 80m ? "high" : "ok";
        var reset = BudgetWindow.For(metric, now).Reset;
        return string.Create(CultureInfo.InvariantCulture,
            $"<tr><td>{label}</td><td><span class=\"bar\" role=\"progressbar\" aria-label=\"{label}\" aria-valuenow=\"{used}\" aria-valuemax=\"{max}\"><span class=\"{level}\" style=\"width:{percent:0.#}%\"></span></span></td>" +
            $"<td>{format(used)} / {format(max)}</td><td class=\"muted\">resets {reset.UtcDateTime:yyyy-MM-dd HH:mm} UTC</td></tr>");
    }

    private static async Task<IResult> SetStatusAsync(string id, AgentStatus status, string action, HttpContext http, IAntiforgery antiforgery,
        UserManager<IdentityUser> users, IConfiguration configuration, IAgentRegistry registry, AuditTrail audit)
    {
        var (admin, refusal) = await SignedInAdminAsync(http, users, configuration, returnUrl: "/admin/agents");
        if (admin is null)
        {
            return refusal!;
        }

        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return Error(400, "The form expired", "The form expired or was not sent by this server. Nothing was changed; reload the agents page and try again.");
        }

        var cancellation = http.RequestAborted;
        var agent = await registry.FindAsync(id, cancellation);
        if (agent is null)
        {
            return Error(404, "Unknown agent", $"No agent '{id}' is registered. Nothing was changed.");
        }

        // The same checks, codes and audit records as the registry admin API; the page's form carries the version
        // the admin saw, as the API's If-Match does.
        var context = new AuditContext
        {
            // A person at these pages rather than an OAuth client: the record names them by subject, so the trail says who acted.
            ClientId = SubjectIdentifier.ForUser(admin.Id),
            ClientIp = http.Connection.RemoteIpAddress?.ToString(),
        };
        var version = (await http.Request.ReadFormAsync(cancellation))["version"].ToString();
        if (string.IsNullOrEmpty(version))
        {
            await audit.RecordAdminAsync(action, id, new AgentError("precondition_required", OAuthErrors.InvalidRequest, "If-Match is required."), context, cancellation);
            return Error(428, "The agent's version is missing", $"The form did not say which version of agent '{id}' it was about. Nothing was changed; reload the agents page.");
        }

        try
        {
            if (agent.Status == AgentStatus.Revoked && status != AgentStatus.Revoked)
            {
                return await RevokedAsync();
            }

            if (version != agent.Version || !await registry.SetStatusAsync(id, status, version, cancellation))
            {
                await audit.RecordAdminAsync(action, id, new AgentError("precondition_failed", OAuthErrors.InvalidRequest, "The agent changed since the given ETag."), context, cancellation);
                return Error(412, "The agent changed", $"Agent '{id}' changed since this page was loaded. Nothing was changed; reload the agents page and decide again.");
            }
        }
        catch (InvalidOperationException)
        {
            // Revoked between the read and the change.
            return await RevokedAsync();
        }

        await audit.RecordAdminAsync(action, id, null, context, cancellation);
        return Results.LocalRedirect("/admin/agents#agent-" + Uri.EscapeDataString(id));

        async Task<IResult> RevokedAsync()
        {
            await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.AgentRevoked, OAuthErrors.InvalidRequest, $"Agent '{id}' is revoked."), context, cancellation);
            return Error(409, "The agent is revoked", $"Agent '{id}' is revoked; a revoked agent cannot be made active again.");
        }
    }

    private static async Task<IResult> AuditAsync(HttpContext http, UserManager<IdentityUser> users, IConfiguration configuration, IAuditStore store, IAgentStore agents,
        string? agent, string? outcome)
    {
        var (admin, refusal) = await SignedInAdminAsync(http, users, configuration);
        if (admin is null)
        {
            return refusal!;
        }

        AuditOutcome? wanted = null;
        if (!string.IsNullOrEmpty(outcome))
        {
            if (!Enum.TryParse<AuditOutcome>(outcome, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(outcome, out _))
            {
                return Error(400, "Not a valid filter", $"'outcome' must be issued, refused or changed, not '{outcome}'.");
            }

            wanted = parsed;
        }

        var cancellation = http.RequestAborted;
        agent = string.IsNullOrWhiteSpace(agent) ? null : agent.Trim();
        var records = await store.QueryAsync(new AuditQuery { AgentId = agent, Outcome = wanted, Take = MaxAuditRecords }, cancellation);

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        async ValueTask<string> NameAsync(string subject)
        {
            if (!names.TryGetValue(subject, out var name))
            {
                name = SubjectIdentifier.TryGetAgentId(subject, out var agentId)
                    ? (await agents.FindAsync(agentId, cancellation))?.DisplayName ?? agentId
                    : NameOfUser(subject);
                names[subject] = name;
            }

            return name;
        }

        var rows = new StringBuilder();
        foreach (var record in records)
        {
            var (subject, chain) = PathOf(record);
            foreach (var party in chain.Select(a => a.Subject).Append(subject).OfType<string>())
            {
                await NameAsync(party);
            }

            var outcomeName = record.Outcome.ToString().ToLowerInvariant();
            rows.Append(CultureInfo.InvariantCulture, $"""
                <tr data-agent="{Html.Encode(record.AgentId)}" data-event="{Html.Encode(record.GrantType)}">
                  <td>{record.OccurredAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td>
                  <td title="{Html.Encode(record.GrantType)}">{Html.Encode(EventName(record.GrantType))}</td>
                  <td><span class="tag {outcomeName}">{outcomeName}</span></td>
                  <td>{(record.ReasonCode is null ? "" : $"<code>{Html.Encode(record.ReasonCode)}</code>")}</td>
                  <td>{Html.Encode(record.Description)}</td>
                  <td>{(subject is null ? "" : DrawPath(subject, chain, names))}</td>
                  <td>{Html.Encode(record.ClientId)}</td>
                </tr>
                """);
        }

        var filter = $"""
            <form method="get" action="/admin/audit">
              <label>Agent id <input name="agent" value="{Html.Encode(agent)}" size="18"></label>
              <label>Outcome <select name="outcome">{string.Concat(OutcomeChoices.Select(o =>
                  $"<option value=\"{o}\"{(string.Equals(o, wanted?.ToString(), StringComparison.OrdinalIgnoreCase) || (o.Length == 0 && wanted is null) ? " selected" : "")}>{(o.Length == 0 ? "any" : o)}</option>"))}</select></label>
              <button>Filter</button>
            </form>
            """;
        var table = records.Count == 0
            ? "<p>No audit records match.</p>"
            : $"<table><tr><th>Time (UTC)</th><th>Event</th><th>Outcome</th><th>Reason</th><th>Description</th><th>Who, for whom</th><th>By</th></tr>{rows}</table>";
        return Html.Page("Audit trail", $"{Nav(admin)}{filter}<p>The newest {MaxAuditRecords} records, newest first. A path reads from the user to the agent making the call.</p>{table}", style: Styles);
    }

    /// <summary>
    /// The record's parties: its subject and the actors, current first. A consent or a user's token issued to an agent
    /// names that agent outside the chain; it is added as the current actor so the path shows who acts for whom.
    /// </summary>
    private static (string? Subject, ActorChain Chain) PathOf(AuditRecord record)
    {
        if (!ActorChain.TryParse(record.ActorChain, out var chain, out _))
        {
            chain = ActorChain.Empty;
        }

        var subject = record.Subject;
        if (subject is null || record.AgentId is not { Length: > 0 } agentId)
        {
            return (subject, chain);
        }

        var agentSubject = SubjectIdentifier.ForAgent(agentId);
        return subject == agentSubject || chain.Contains(agentSubject) ? (subject, chain) : (subject, chain.Push(new Actor(agentSubject)));
    }

    /// <summary>Boxes joined by arrows from the subject to the current actor, and the same chain in words.</summary>
    private static string DrawPath(string subject, ActorChain chain, Dictionary<string, string> names)
    {
        var parties = chain.Reverse().Select(a => a.Subject).Prepend(subject);
        var boxes = string.Join("<span class=\"arrow\">→</span>", parties.Select(p =>
            $"<span class=\"node{(SubjectIdentifier.IsUser(p) ? " user" : "")}\" title=\"{Html.Encode(p)}\">{Html.Encode(names.GetValueOrDefault(p, p))}</span>"));
        var words = chain.Describe(subject, s => names.GetValueOrDefault(s));
        return $"<div class=\"path\">{boxes}</div><div class=\"muted words\">{Html.Encode(words)}</div>";
    }

    private static string EventName(string grantType) => grantType switch
    {
        "client_credentials" => "token: client credentials",
        "authorization_code" => "token: authorization code",
        "refresh_token" => "token: refresh",
        "urn:ietf:params:oauth:grant-type:token-exchange" => "token: exchange",
        "consent:grant" => "consent given",
        "consent:withdraw" => "consent withdrawn",
        _ when grantType.StartsWith("admin:", StringComparison.Ordinal) => "admin: " + grantType["admin:".Length..].Replace('_', ' '),
        _ => grantType,
    };

    /// <summary>A user's name as the audit trail puts it into words: the identifier after <c>user:</c>.</summary>
    private static string NameOfUser(string subject) =>
        SubjectIdentifier.IsUser(subject) ? subject[SubjectIdentifier.UserPrefix.Length..] : subject;

    private static string Nav(IdentityUser admin) =>
        $"<nav><a href=\"/admin/agents\">Agents</a><a href=\"/admin/audit\">Audit trail</a><a href=\"/account/consents\">Your consents</a>" +
        $"<span class=\"muted\">signed in as {Html.Encode(admin.UserName)}</span></nav>";

    /// <summary>The signed-in administrator, or the answer for anyone else: the login page for the anonymous, 403 for other users.</summary>
    private static async Task<(IdentityUser? Admin, IResult? Refusal)> SignedInAdminAsync(HttpContext http, UserManager<IdentityUser> users, IConfiguration configuration, string? returnUrl = null)
    {
        var user = await users.GetUserAsync(http.User);
        if (user is null)
        {
            returnUrl ??= http.Request.PathBase + http.Request.Path + http.Request.QueryString;
            return (null, Results.Redirect("/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl)));
        }

        return IsAdmin(configuration, user.UserName)
            ? (user, null)
            : (null, Error(403, "Administrators only", $"{user.UserName} is not an administrator of this sample. Its administrators are the users named in {AdminsKey}."));
    }

    private static IResult Error(int statusCode, string title, string message) =>
        Html.Page(title, $"<p role=\"alert\">{Html.Encode(message)}</p><p><a href=\"/admin/agents\">Back to the agents</a></p>", statusCode);
}
