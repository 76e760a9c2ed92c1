using LumoAuth.Agents.Audit;

namespace LumoAuth.Agents.Approvals;

/// <summary>
/// The user's side of approvals: the requests waiting for them (the first showing is audited) and their decision, which
/// is audited and, for an agent registered for ping delivery, sent to its notification endpoint.
/// </summary>
public class ApprovalInbox
{
    private readonly IApprovalStore _approvals;
    private readonly ApprovalPolicy _policy;
    private readonly AuditTrail _audit;
    private readonly IAgentStore _agents;
    private readonly ApprovalNotifier _notifier;
    private readonly TimeProvider _time;

    /// <summary>Creates the inbox.</summary>
    public ApprovalInbox(IApprovalStore approvals, ApprovalPolicy policy, AuditTrail audit, IAgentStore agents, ApprovalNotifier notifier, TimeProvider time)
    {
        _approvals = approvals;
        _policy = policy;
        _audit = audit;
        _agents = agents;
        _notifier = notifier;
        _time = time;
    }

    /// <summary>The user's requests of the last day, newest first; pending ones seen for the first time are recorded as shown.</summary>
    public virtual async ValueTask<IReadOnlyList<ApprovalRequest>> ListAsync(string userSubject, AuditContext context, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var requests = await _approvals.ListForUserAsync(userSubject, now.AddDays(-1), 50, cancellationToken);
        var shown = new List<ApprovalRequest>(requests.Count);
        foreach (var request in requests)
        {
            if (request.Status == ApprovalStatus.Pending && !request.IsExpiredAt(now) && request.ShownAt is null &&
                await _approvals.MarkShownAsync(request.Id, now, cancellationToken))
            {
                await _audit.RecordApprovalAsync("shown", request, null, context, cancellationToken);
                shown.Add(request with { ShownAt = now });
            }
            else
            {
                shown.Add(request);
            }
        }

        return shown;
    }

    /// <summary>
    /// Approves or denies one of the user's pending requests; false when it is not theirs, not pending or lapsed (then
    /// nothing changes).
    /// </summary>
    public virtual async ValueTask<bool> DecideAsync(string id, string userSubject, bool approve, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = await _approvals.FindAsync(id, cancellationToken);
        if (request is null || !string.Equals(request.UserSubject, userSubject, StringComparison.Ordinal))
        {
            return false;
        }

        var now = _time.GetUtcNow();
        var validUntil = approve ? await _policy.ApprovalValidUntilAsync(request, now, cancellationToken) : null;
        if (!await _approvals.DecideAsync(id, userSubject, approve, now, validUntil, cancellationToken))
        {
            return false;
        }

        var decided = request with
        {
            Status = approve ? ApprovalStatus.Approved : ApprovalStatus.Denied,
            DecidedAt = now,
            ApprovalValidUntil = validUntil,
        };
        await _audit.RecordApprovalAsync(approve ? "approved" : "denied", decided, null, context, cancellationToken);
        if (decided.DeliveryMode == ApprovalDeliveryMode.Ping &&
            await _agents.FindAsync(decided.AgentId, cancellationToken) is { BackchannelNotificationEndpoint: { } endpoint })
        {
            await _notifier.PingAsync(endpoint, decided, cancellationToken);
        }

        return true;
    }
}
