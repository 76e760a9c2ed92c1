using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The audit gate of the token endpoints, OAuth and AAuth alike: an issuance or a refusal is recorded before it is
/// answered, and when the record cannot be written, whatever the failure, nothing of the answer leaves. The caller
/// sends <see cref="AuditWithheld.Error"/> in its place.
/// </summary>
internal static class AuditGate
{
    /// <summary>Records <paramref name="decision"/>; null when recorded, else what to answer instead.</summary>
    public static async ValueTask<AuditWithheld?> RecordAsync(AuditTrail trail, IssuanceDecision decision, AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trail);
        try
        {
            await trail.RecordAsync(decision, context, cancellationToken);
            return null;
        }
#pragma warning disable CA1031 // Any failure to record must withhold the answer, whatever its type.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return AuditWithheld.For(exception);
        }
    }

    /// <summary>Records a refusal made before any decision; null when recorded, else what to answer instead.</summary>
    public static async ValueTask<AuditWithheld?> RecordRefusalAsync(AuditTrail trail, string oauthError, string? description, string code,
        AuditContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trail);
        try
        {
            await trail.RecordProtocolRefusalAsync(oauthError, description, code, context, cancellationToken);
            return null;
        }
#pragma warning disable CA1031 // Any failure to record must withhold the answer, whatever its type.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return AuditWithheld.For(exception);
        }
    }
}

/// <summary>
/// The answer that replaces one whose audit record could not be written: <c>audit_unavailable</c>, as
/// <c>temporarily_unavailable</c> (503, retry shortly) while the store is not answering, else <c>server_error</c> (500).
/// </summary>
/// <param name="Error">The refusal to send.</param>
/// <param name="Unavailable">Whether the store was only not answering, so retrying helps.</param>
/// <param name="Exception">Why the record failed, for the caller's log.</param>
internal sealed record AuditWithheld(AgentError Error, bool Unavailable, Exception Exception)
{
    /// <summary>The HTTP status of the refusal.</summary>
    public int Status => Unavailable ? 503 : 500;

    public static AuditWithheld For(Exception exception)
    {
        var unavailable = StoreFailures.IsUnavailable(exception);
        var error = new AgentError(AgentErrorCodes.AuditUnavailable, StoreFailures.OAuthErrorFor(exception),
            "The request could not be recorded in the audit trail, so it was not completed." + (unavailable ? " Try again shortly." : string.Empty));
        return new AuditWithheld(error, unavailable, exception);
    }
}
