using LumoAuth.Agents.Approvals;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>The approval requests of the last seven days, pending and decided.</summary>
public sealed class ApprovalsModel(IApprovalStore approvals, TimeProvider time) : PageModel
{
    private DateTimeOffset _now;

    /// <summary>Waiting for a user.</summary>
    public IReadOnlyList<ApprovalRequest> Pending { get; private set; } = [];

    /// <summary>Approved, denied, redeemed or lapsed.</summary>
    public IReadOnlyList<ApprovalRequest> Decided { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        _now = time.GetUtcNow();
        var requests = await approvals.ListAsync(_now.AddDays(-7), 200, cancellationToken);
        Pending = [.. requests.Where(r => r.Status == ApprovalStatus.Pending && !r.IsExpiredAt(_now))];
        Decided = [.. requests.Where(r => r.Status != ApprovalStatus.Pending || r.IsExpiredAt(_now))];
    }

    /// <summary>What became of a request, in words.</summary>
    public string Outcome(ApprovalRequest request) => request.IsExpiredAt(_now) ? "expired" : request.Status.ToString().ToLowerInvariant();
}
