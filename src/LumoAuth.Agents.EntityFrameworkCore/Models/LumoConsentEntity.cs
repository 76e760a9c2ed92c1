namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>The stored form of a consent: one row per user and agent.</summary>
public class LumoConsentEntity
{
    /// <summary>The user's subject identifier.</summary>
    public string Subject { get; set; } = string.Empty;

    /// <summary>The agent id.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The consented scopes, space-delimited.</summary>
    public string Scopes { get; set; } = string.Empty;

    /// <summary>When consent was (last) given (UTC).</summary>
    public DateTime GrantedAt { get; set; }

    /// <summary>When it was withdrawn (UTC), or null while in force.</summary>
    public DateTime? WithdrawnAt { get; set; }

    /// <summary>When the consent was last withdrawn: tokens issued under it until then stay dead after a new consent.</summary>
    public DateTime? TokensNotBefore { get; set; }
}
