using System.Text.Json;
using System.Text.Json.Serialization;
using LumoAuth.Agents.OpenIddict.Usage;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>An agent as the admin API shows it: never its secret.</summary>
internal sealed record AgentView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("capabilities")] IReadOnlyList<string> Capabilities,
    [property: JsonPropertyName("default_scopes")] IReadOnlyList<string> DefaultScopes,
    [property: JsonPropertyName("allowed_tools")] IReadOnlyList<string> AllowedTools,
    [property: JsonPropertyName("can_act_for_users")] bool CanActForUsers,
    [property: JsonPropertyName("max_chain_depth")] int MaxChainDepth,
    [property: JsonPropertyName("access_token_lifetime_seconds")] int AccessTokenLifetimeSeconds,
    [property: JsonPropertyName("require_sender_constrained_tokens")] bool RequireSenderConstrainedTokens,
    [property: JsonPropertyName("approval_rules")] IReadOnlyList<ApprovalRuleView> ApprovalRules,
    [property: JsonPropertyName("backchannel_notification_endpoint")] Uri? BackchannelNotificationEndpoint,
    [property: JsonPropertyName("budget")] BudgetView Budget,
    [property: JsonPropertyName("signing_keys")] IReadOnlyList<JsonElement> SigningKeys,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
{
    public static AgentView From(AgentProfile agent) => new(
        agent.Id, agent.DisplayName, agent.Owner, agent.Status.ToString().ToLowerInvariant(), [.. agent.Capabilities], [.. agent.DefaultScopes],
        [.. agent.AllowedTools.Order(StringComparer.Ordinal)], agent.Delegation.CanActForUsers, agent.Delegation.MaxChainDepth,
        (int)agent.AccessTokenLifetime.TotalSeconds, agent.RequireSenderConstrainedTokens,
        [.. agent.ApprovalRules.Select(ApprovalRuleView.From)], agent.BackchannelNotificationEndpoint, BudgetView.From(agent.Budget), [.. agent.SigningKeys.Select(k => JsonDocument.Parse(k).RootElement.Clone())], agent.CreatedAt);
}

/// <summary>A page of <c>GET /</c>.</summary>
internal sealed record AgentPage(
    [property: JsonPropertyName("agents")] IReadOnlyList<AgentView> Agents,
    [property: JsonPropertyName("skip")] int Skip,
    [property: JsonPropertyName("take")] int Take);

/// <summary>A registered agent with its client secret, shown this once (none for a public client).</summary>
internal sealed record RegisteredAgent(
    [property: JsonPropertyName("agent")] AgentView Agent,
    [property: JsonPropertyName("client_secret")] string? ClientSecret,
    [property: JsonPropertyName("client_secret_note")] string? ClientSecretNote);

/// <summary>A rotated client secret, shown this once.</summary>
internal sealed record RotatedSecret(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("client_secret")] string ClientSecret,
    [property: JsonPropertyName("client_secret_note")] string ClientSecretNote);

/// <summary>An agent's budgets: for each metric its window, unit, what was used and the limit.</summary>
internal sealed record BudgetStatus(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("budgets")] IReadOnlyList<BudgetUsage> Budgets);

/// <summary>One metric of <see cref="BudgetStatus"/>, in the units of usage reports.</summary>
internal sealed record BudgetUsage(
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("window")] string Window,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("used")] decimal Used,
    [property: JsonPropertyName("limit")] decimal? Limit,
    [property: JsonPropertyName("window_resets_at")] DateTimeOffset WindowResetsAt);

/// <summary>A page of an agent's consents, withdrawn ones included.</summary>
internal sealed record ConsentList([property: JsonPropertyName("consents")] IReadOnlyList<ConsentView> Consents);

/// <summary>One user's consent to an agent.</summary>
internal sealed record ConsentView(
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("scopes")] string Scopes,
    [property: JsonPropertyName("granted_at")] DateTimeOffset GrantedAt,
    [property: JsonPropertyName("withdrawn_at")] DateTimeOffset? WithdrawnAt,
    [property: JsonPropertyName("active")] bool Active);

/// <summary>An agent's workload bindings.</summary>
internal sealed record BindingList([property: JsonPropertyName("workload_bindings")] IReadOnlyList<BindingView> WorkloadBindings);

/// <summary>One workload binding as stored.</summary>
internal sealed record BindingView(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("claims")] IDictionary<string, string> Claims);
