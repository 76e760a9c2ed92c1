using LumoAuth.Agents.Approvals;

namespace LumoAuth.Agents.InMemory;

/// <summary>An <see cref="IApprovalStore"/> in process memory, for tests and single-instance trials only.</summary>
public sealed class InMemoryApprovalStore : IApprovalStore
{
    private readonly Dictionary<string, ApprovalRequest> _requests = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public ValueTask CreateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_lock)
        {
            _requests.Add(request.Id, request);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<ApprovalRequest?> FindAsync(string id, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_requests.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ApprovalRequest>> ListForUserAsync(string userSubject, DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        List(r => r.UserSubject == userSubject && r.CreatedAt >= since, limit);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ApprovalRequest>> ListAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        List(r => r.CreatedAt >= since, limit);

    private ValueTask<IReadOnlyList<ApprovalRequest>> List(Func<ApprovalRequest, bool> predicate, int limit)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<ApprovalRequest>>(_requests.Values.Where(predicate).OrderByDescending(r => r.CreatedAt).Take(limit).ToList());
        }
    }

    /// <inheritdoc />
    public ValueTask<int> CountPendingAsync(string agentId, string userSubject, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_requests.Values.Count(r => r.AgentId == agentId && r.UserSubject == userSubject &&
                                                                    r.Status == ApprovalStatus.Pending && r.ExpiresAt > now));
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> MarkShownAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Change(id, r => r.ShownAt is null, r => r with { ShownAt = now });

    /// <inheritdoc />
    public ValueTask<bool> DecideAsync(string id, string userSubject, bool approve, DateTimeOffset now, DateTimeOffset? approvalValidUntil, CancellationToken cancellationToken) =>
        Change(id, r => r.UserSubject == userSubject && r.Status == ApprovalStatus.Pending && r.ExpiresAt > now,
            r => r with
            {
                Status = approve ? ApprovalStatus.Approved : ApprovalStatus.Denied,
                DecidedAt = now,
                ApprovalValidUntil = approve ? approvalValidUntil : null,
            });

    /// <inheritdoc />
    public ValueTask<bool> TryPollAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_requests.TryGetValue(id, out var request))
            {
                return ValueTask.FromResult(false);
            }

            if (now < request.NextPollAt)
            {
                var slower = request.IntervalSeconds + 5;
                _requests[id] = request with { IntervalSeconds = slower, NextPollAt = now.AddSeconds(slower) };
                return ValueTask.FromResult(false);
            }

            _requests[id] = request with { NextPollAt = now.AddSeconds(request.IntervalSeconds) };
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> ExpireAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Change(id, r => r.Status == ApprovalStatus.Pending && r.ExpiresAt <= now, r => r with { Status = ApprovalStatus.Expired });

    /// <inheritdoc />
    public ValueTask<bool> RedeemAsync(string id, CancellationToken cancellationToken) =>
        Change(id, r => r.Status == ApprovalStatus.Approved, r => r with { Status = ApprovalStatus.Redeemed });

    /// <inheritdoc />
    public ValueTask<ApprovalRequest?> FindLastingApprovalAsync(string userSubject, string agentId, string capability, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_requests.Values
                .Where(r => r.UserSubject == userSubject && r.AgentId == agentId && r.ApprovalValidUntil > now &&
                            r.Status is ApprovalStatus.Approved or ApprovalStatus.Redeemed && r.Scopes.Contains(capability))
                .OrderByDescending(r => r.ApprovalValidUntil)
                .FirstOrDefault());
        }
    }

    private ValueTask<bool> Change(string id, Func<ApprovalRequest, bool> condition, Func<ApprovalRequest, ApprovalRequest> change)
    {
        lock (_lock)
        {
            if (!_requests.TryGetValue(id, out var request) || !condition(request))
            {
                return ValueTask.FromResult(false);
            }

            _requests[id] = change(request);
            return ValueTask.FromResult(true);
        }
    }
}
