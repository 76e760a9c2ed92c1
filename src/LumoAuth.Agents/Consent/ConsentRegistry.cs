using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Consent;

/// <summary>
/// The one way consents change: each grant and withdrawal is stored and written to the audit trail together, from
/// the consent page, the user's consent list or the admin API alike.
/// </summary>
public class ConsentRegistry
{
    private readonly IConsentStore _store;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;

    /// <summary>Creates the registry.</summary>
    public ConsentRegistry(IConsentStore store, AuditTrail audit, TimeProvider time)
    {
        _store = store;
        _audit = audit;
        _time = time;
    }

    /// <summary>Records that <paramref name="subject"/> lets <paramref name="agentId"/> act for them within <paramref name="scopes"/>.</summary>
    public virtual async ValueTask<ConsentGrant> GrantAsync(string subject, string agentId, ScopeSet scopes, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var grant = await _store.GrantAsync(subject, agentId, scopes, _time.GetUtcNow(), cancellationToken);
        await _audit.RecordConsentAsync("consent:grant", subject, agentId, grant.Scopes.ToString(), context, cancellationToken);
        return grant;
    }

    /// <summary>Withdraws the consent; returns <see langword="false"/> when none was in force (nothing is recorded then).</summary>
    public virtual async ValueTask<bool> WithdrawAsync(string subject, string agentId, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!await _store.WithdrawAsync(subject, agentId, _time.GetUtcNow(), cancellationToken))
        {
            return false;
        }

        await _audit.RecordConsentAsync("consent:withdraw", subject, agentId, null, context, cancellationToken);
        return true;
    }
}
