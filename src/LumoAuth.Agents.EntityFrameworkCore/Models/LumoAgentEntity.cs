namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>The stored form of an agent profile. Sets are space-delimited so one model fits every provider.</summary>
public class LumoAgentEntity
{
    /// <summary>The agent id (also its client id).</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The display name.</summary>
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>The owner.</summary>
    public string Owner { get; set; } = string.Empty;

    /// <summary>The status.</summary>
    public int Status { get; set; }

    /// <summary>When the agent was last suspended or revoked: its tokens issued until then stay dead after a resume.</summary>
    public DateTime? TokensNotBefore { get; set; }

    /// <summary>The capabilities, space-delimited.</summary>
    public string Capabilities { get; set; } = string.Empty;

    /// <summary>The default scopes, space-delimited.</summary>
    public string DefaultScopes { get; set; } = string.Empty;

    /// <summary>The allowed tools, space-delimited.</summary>
    public string AllowedTools { get; set; } = string.Empty;

    /// <summary>May the agent act for users.</summary>
    public bool CanActForUsers { get; set; }

    /// <summary>The maximum chain depth.</summary>
    public int MaxChainDepth { get; set; }

    /// <summary>The access token lifetime, in seconds.</summary>
    public int AccessTokenLifetimeSeconds { get; set; }

    /// <summary>Whether the agent gets sender-constrained (DPoP-bound) tokens only.</summary>
    public bool RequireSenderConstrainedTokens { get; set; }

    /// <summary>The approval rules, a JSON array of <c>{"capability", "valid_for_seconds"}</c>.</summary>
    public string ApprovalRules { get; set; } = "[]";

    /// <summary>Where the agent is pinged when a user decides one of its approval requests.</summary>
    public string? BackchannelNotificationEndpoint { get; set; }

    /// <summary>Budget: LLM tokens per day.</summary>
    public long? MaxTokensPerDay { get; set; }

    /// <summary>Budget: API calls per hour.</summary>
    public long? MaxApiCallsPerHour { get; set; }

    /// <summary>Budget: cost per month.</summary>
    public decimal? MaxCostPerMonth { get; set; }

    /// <summary>The enrolled public signing keys, a JSON array of JWK texts.</summary>
    public string SigningKeys { get; set; } = "[]";

    /// <summary>When the agent was registered (UTC).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>Optimistic concurrency token, changed on every update.</summary>
    public string ConcurrencyStamp { get; set; } = Guid.NewGuid().ToString("N");
}
