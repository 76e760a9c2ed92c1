using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Subjects;

namespace LumoAuth.Agents.Audit;

/// <summary>
/// Turns a decision into a complete audit record (chain in JSON and in words) and writes it. The one place that
/// knows what a record holds; hosts call it before sending the response.
/// </summary>
public class AuditTrail
{
    private readonly IAuditStore _store;
    private readonly IAgentStore _agents;
    private readonly TimeProvider _time;

    /// <summary>Creates the trail.</summary>
    public AuditTrail(IAuditStore store, IAgentStore agents, TimeProvider time)
        : this(store, agents, time, null)
    {
    }

    /// <summary>Creates the trail; with <paramref name="writer"/>, records are group-committed (still durable before return).</summary>
    public AuditTrail(IAuditStore store, IAgentStore agents, TimeProvider time, AuditWriter? writer)
    {
        _store = store;
        _agents = agents;
        _time = time;
        _writer = writer;
    }

    private readonly AuditWriter? _writer;

    private async ValueTask StoreAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            await _store.WriteAsync(record, cancellationToken);
        }
        else
        {
            await _writer.WriteAsync(record, cancellationToken);
        }
    }

    /// <summary>Records a decision of the agent policy.</summary>
    public virtual async ValueTask<AuditRecord> RecordAsync(IssuanceDecision decision, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(context);
        string? description = null;
        if (decision.Subject is { } subject)
        {
            var names = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var actor in decision.Chain.Append(new Delegation.Actor(subject)))
            {
                names[actor.Subject] = await DisplayNameAsync(actor.Subject, cancellationToken);
            }

            description = decision.Chain.Describe(subject, s => names.GetValueOrDefault(s));
        }

        var record = new AuditRecord
        {
            OccurredAt = _time.GetUtcNow(),
            GrantType = context.GrantType,
            Outcome = decision.IsGranted ? AuditOutcome.Issued : AuditOutcome.Refused,
            ReasonCode = decision.Error?.Code,
            Error = decision.Error?.OAuthError,
            Description = decision.Error?.Description,
            ClientId = context.ClientId,
            AgentId = decision.AgentId ?? decision.Agent?.Id,
            Subject = decision.Subject,
            ActorChain = decision.Chain.ToJsonString(),
            ChainDescription = description,
            ChainDepth = decision.Chain.Depth,
            ScopesRequested = context.ScopesRequested,
            ScopesGranted = decision.IsGranted ? decision.Scopes.ToString() : null,
            Audiences = decision.IsGranted ? string.Join(' ', decision.Audiences) : context.AudiencesRequested,
            TokenId = context.TokenId,
            ClientIp = context.ClientIp,
            WorkloadIssuer = decision.WorkloadIssuer,
            WorkloadSubject = decision.WorkloadSubject,
        };
        await StoreAsync(record, cancellationToken);
        return record;
    }

    /// <summary>Records a refusal made before the agent policy ran (by the protocol layer).</summary>
    public virtual async ValueTask<AuditRecord> RecordProtocolRefusalAsync(string oauthError, string? description, string code, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var record = new AuditRecord
        {
            OccurredAt = _time.GetUtcNow(),
            GrantType = context.GrantType,
            Outcome = AuditOutcome.Refused,
            ReasonCode = code,
            Error = oauthError,
            Description = description,
            ClientId = context.ClientId,
            AgentId = context.AgentId ?? context.ClientId,
            ScopesRequested = context.ScopesRequested,
            Audiences = context.AudiencesRequested,
            ClientIp = context.ClientIp,
        };
        await StoreAsync(record, cancellationToken);
        return record;
    }

    /// <summary>Records a consent given (<c>consent:grant</c>, with its scopes) or withdrawn (<c>consent:withdraw</c>).</summary>
    public virtual async ValueTask<AuditRecord> RecordConsentAsync(string action, string subject, string agentId, string? scopes, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var record = new AuditRecord
        {
            OccurredAt = _time.GetUtcNow(),
            GrantType = action,
            Outcome = AuditOutcome.Changed,
            ClientId = context.ClientId,
            AgentId = agentId,
            Subject = subject,
            ScopesGranted = scopes,
            ClientIp = context.ClientIp,
        };
        await StoreAsync(record, cancellationToken);
        return record;
    }

    /// <summary>
    /// Records a step of an approval request (<c>approval:requested</c>, <c>:shown</c>, <c>:approved</c>, <c>:denied</c>,
    /// <c>:expired</c>, <c>:redeemed</c>), with what was asked of whom, or a refusal of one.
    /// </summary>
    public virtual async ValueTask<AuditRecord> RecordApprovalAsync(string action, Approvals.ApprovalRequest request, Errors.AgentError? refusal, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var chain = Delegation.ActorChain.Empty.Push(new Delegation.Actor(SubjectIdentifier.ForAgent(request.AgentId), request.AgentId));
        var names = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [request.UserSubject] = await DisplayNameAsync(request.UserSubject, cancellationToken),
            [chain[0].Subject] = await DisplayNameAsync(chain[0].Subject, cancellationToken),
        };
        var record = new AuditRecord
        {
            OccurredAt = _time.GetUtcNow(),
            GrantType = "approval:" + action,
            Outcome = refusal is null ? AuditOutcome.Changed : AuditOutcome.Refused,
            ReasonCode = refusal?.Code,
            Error = refusal?.OAuthError,
            Description = refusal?.Description ?? request.BindingMessage,
            ClientId = context.ClientId ?? request.AgentId,
            AgentId = request.AgentId,
            Subject = request.UserSubject,
            ActorChain = chain.ToJsonString(),
            ChainDescription = chain.Describe(request.UserSubject, s => names.GetValueOrDefault(s)),
            ChainDepth = chain.Depth,
            ScopesRequested = request.Scopes.ToString(),
            Audiences = string.Join(' ', request.Audiences),
            TokenId = request.Id,
            ClientIp = context.ClientIp,
        };
        await StoreAsync(record, cancellationToken);
        return record;
    }

    /// <summary>Records an administrative action on an agent, made or refused.</summary>
    public virtual async ValueTask<AuditRecord> RecordAdminAsync(string action, string agentId, Errors.AgentError? refusal, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var record = new AuditRecord
        {
            OccurredAt = _time.GetUtcNow(),
            GrantType = "admin:" + action,
            Outcome = refusal is null ? AuditOutcome.Changed : AuditOutcome.Refused,
            ReasonCode = refusal?.Code,
            Error = refusal?.OAuthError,
            Description = refusal?.Description,
            ClientId = context.ClientId,
            AgentId = agentId,
            Subject = string.IsNullOrEmpty(agentId) ? null : Subjects.SubjectIdentifier.ForAgent(agentId),
            ClientIp = context.ClientIp,
        };
        await StoreAsync(record, cancellationToken);
        return record;
    }

    private async ValueTask<string?> DisplayNameAsync(string subject, CancellationToken cancellationToken)
    {
        if (SubjectIdentifier.TryGetAgentId(subject, out var agentId))
        {
            return (await _agents.FindAsync(agentId, cancellationToken))?.DisplayName;
        }

        return SubjectIdentifier.IsUser(subject) ? subject[SubjectIdentifier.UserPrefix.Length..] : null;
    }
}

/// <summary>What the host knows of the request, for the audit record.</summary>
public sealed record AuditContext
{
    /// <summary>The grant type.</summary>
    public string GrantType { get; init; } = string.Empty;

    /// <summary>The identified client, if any.</summary>
    public string? ClientId { get; init; }

    /// <summary>The agent the request concerns, when it is not the client (a usage report names the agent it reports on).</summary>
    public string? AgentId { get; init; }

    /// <summary>The requested scopes, space-delimited.</summary>
    public string? ScopesRequested { get; init; }

    /// <summary>The requested audiences and resources, space-delimited.</summary>
    public string? AudiencesRequested { get; init; }

    /// <summary>The issued token's identifier.</summary>
    public string? TokenId { get; init; }

    /// <summary>The caller's IP address.</summary>
    public string? ClientIp { get; init; }
}
