namespace LumoAuth.Agents.Approvals;

/// <summary>
/// Where approval requests live. Every state change is one conditional write, so two server instances sharing the
/// store cannot both decide, poll past the interval or redeem the same request.
/// </summary>
public interface IApprovalStore
{
    /// <summary>Stores a new pending request.</summary>
    ValueTask CreateAsync(ApprovalRequest request, CancellationToken cancellationToken);

    /// <summary>The request with this id, or <see langword="null"/>.</summary>
    ValueTask<ApprovalRequest?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>The user's requests made since <paramref name="since"/>, newest first (at most <paramref name="limit"/>).</summary>
    ValueTask<IReadOnlyList<ApprovalRequest>> ListForUserAsync(string userSubject, DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>All requests made since <paramref name="since"/>, newest first (at most <paramref name="limit"/>).</summary>
    ValueTask<IReadOnlyList<ApprovalRequest>> ListAsync(DateTimeOffset since, int limit, CancellationToken cancellationToken);

    /// <summary>How many requests of this agent for this user are pending and not expired at <paramref name="now"/>.</summary>
    ValueTask<int> CountPendingAsync(string agentId, string userSubject, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Marks the request shown at <paramref name="now"/>, if it was not yet; true when this call did it.</summary>
    ValueTask<bool> MarkShownAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Approves or denies a pending, unexpired request of <paramref name="userSubject"/>; true when this call decided it.
    /// </summary>
    ValueTask<bool> DecideAsync(string id, string userSubject, bool approve, DateTimeOffset now, DateTimeOffset? approvalValidUntil, CancellationToken cancellationToken);

    /// <summary>
    /// Takes one poll: true when it came no sooner than the interval allows (the next is then due one interval later);
    /// false when too soon (the interval then grows by 5 seconds, CIBA Core §11).
    /// </summary>
    ValueTask<bool> TryPollAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Moves a pending request past its expiry to expired; true when this call did it.</summary>
    ValueTask<bool> ExpireAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Spends an approved request for its one token; true when this call did it.</summary>
    ValueTask<bool> RedeemAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// An approval of <paramref name="capability"/> given to <paramref name="agentId"/> by <paramref name="userSubject"/>
    /// that still lasts at <paramref name="now"/> (lasting rules only), or <see langword="null"/>.
    /// </summary>
    ValueTask<ApprovalRequest?> FindLastingApprovalAsync(string userSubject, string agentId, string capability, DateTimeOffset now, CancellationToken cancellationToken);
}
