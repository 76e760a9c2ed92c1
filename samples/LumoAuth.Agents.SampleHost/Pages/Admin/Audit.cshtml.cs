using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Subjects;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>The newest audit records, filtered by agent and outcome, with each actor chain drawn as a path and put into words.</summary>
public sealed class AuditModel(IAuditStore store, IAgentStore agents) : PageModel
{
    /// <summary>The most records one page shows.</summary>
    public const int MaxAuditRecords = 100;

    /// <summary>The outcome filter's choices; the empty one is any outcome.</summary>
    public static readonly IReadOnlyList<string> OutcomeChoices = ["", "issued", "refused", "changed"];

    /// <summary>The agent filter as applied (trimmed), or <see langword="null"/> for every agent.</summary>
    public string? Agent { get; private set; }

    /// <summary>The outcome filter, or <see langword="null"/> for any outcome.</summary>
    public AuditOutcome? Outcome { get; private set; }

    /// <summary>The matching records, newest first.</summary>
    public IReadOnlyList<AuditRow> Rows { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string? agent, string? outcome, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(outcome))
        {
            if (!Enum.TryParse<AuditOutcome>(outcome, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(outcome, out _))
            {
                return new PageMessage("Not a valid filter", $"'outcome' must be issued, refused or changed, not '{outcome}'.").ToResult(StatusCodes.Status400BadRequest, MetadataProvider);
            }

            Outcome = parsed;
        }

        Agent = string.IsNullOrWhiteSpace(agent) ? null : agent.Trim();
        var records = await store.QueryAsync(new AuditQuery { AgentId = Agent, Outcome = Outcome, Take = MaxAuditRecords }, cancellationToken);

        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var rows = new List<AuditRow>(records.Count);
        foreach (var record in records)
        {
            var (subject, chain) = PathOf(record);
            IReadOnlyList<PathNode>? path = null;
            string? words = null;
            if (subject is not null)
            {
                // From the user to the agent making the call.
                var parties = chain.Reverse().Select(a => a.Subject).Prepend(subject).ToList();
                foreach (var party in parties)
                {
                    if (!names.ContainsKey(party))
                    {
                        names[party] = await NameAsync(party, cancellationToken);
                    }
                }

                path = parties.Select(p => new PathNode(p, names[p], SubjectIdentifier.IsUser(p))).ToList();
                words = chain.Describe(subject, s => names.GetValueOrDefault(s));
            }

            rows.Add(new AuditRow(record, EventName(record.GrantType), record.Outcome.ToString().ToLowerInvariant(), path, words));
        }

        Rows = rows;
        return Page();
    }

    /// <summary>A user's name as the audit trail puts it into words: the identifier after <c>user:</c>.</summary>
    public static string NameOfUser(string subject) =>
        SubjectIdentifier.IsUser(subject) ? subject[SubjectIdentifier.UserPrefix.Length..] : subject;

    private async ValueTask<string> NameAsync(string subject, CancellationToken cancellationToken) =>
        SubjectIdentifier.TryGetAgentId(subject, out var agentId)
            ? (await agents.FindAsync(agentId, cancellationToken))?.DisplayName ?? agentId
            : NameOfUser(subject);

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
}

/// <summary>One audit record as a row: the record, its event in words, its outcome, and its path when it has a subject.</summary>
public sealed record AuditRow(AuditRecord Record, string EventName, string Outcome, IReadOnlyList<PathNode>? Path, string? Words);

/// <summary>One party on a path: its subject identifier, its name, and whether it is a user.</summary>
public sealed record PathNode(string Subject, string Name, bool IsUser);
