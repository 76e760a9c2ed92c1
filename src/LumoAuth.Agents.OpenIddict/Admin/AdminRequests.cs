using System.Text.Json;
using System.Text.Json.Serialization;
using LumoAuth.Agents.OpenIddict.Usage;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>One workload binding in the admin API.</summary>
internal sealed record BindingRequest(
    [property: JsonPropertyName("issuer")] string? Issuer,
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("claims")] Dictionary<string, string>? Claims);

/// <summary>One approval rule in the admin API: a capability needing the user's approval per use, and how long one lasts.</summary>
internal sealed record ApprovalRuleView(
    [property: JsonPropertyName("capability")] string? Capability,
    [property: JsonPropertyName("valid_for_seconds")] int ValidForSeconds)
{
    public static ApprovalRuleView From(global::LumoAuth.Agents.Approvals.ApprovalRule rule) => new(rule.Capability, (int)rule.ValidFor.TotalSeconds);

    public global::LumoAuth.Agents.Approvals.ApprovalRule ToRule() => new(Capability ?? string.Empty, TimeSpan.FromSeconds(ValidForSeconds));
}

/// <summary>The JSON body of an update: fields left out keep their value.</summary>
internal sealed record UpdateRequest
{
    /// <summary>Fields an update cannot change, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotWritable = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["id"] = "'id' is read-only: an agent's id never changes.",
        ["status"] = "'status' is read-only here; use POST /{id}/suspend, /resume or /revoke.",
        ["client_secret"] = "'client_secret' is read-only; use POST /{id}/secret to rotate it.",
        ["created_at"] = "'created_at' is read-only.",
        ["confidential"] = "'confidential' is fixed at registration.",
        ["redirect_uris"] = "'redirect_uris' is fixed at registration.",
        ["workload_bindings"] = "'workload_bindings' is read-only here; use PUT /{id}/workload-bindings.",
    };

    [JsonPropertyName("display_name")] public string? DisplayName { get; init; }
    [JsonPropertyName("owner")] public string? Owner { get; init; }
    [JsonPropertyName("capabilities")] public IList<string>? Capabilities { get; init; }
    [JsonPropertyName("default_scopes")] public IList<string>? DefaultScopes { get; init; }
    [JsonPropertyName("allowed_tools")] public IList<string>? AllowedTools { get; init; }
    [JsonPropertyName("can_act_for_users")] public bool? CanActForUsers { get; init; }
    [JsonPropertyName("max_chain_depth")] public int? MaxChainDepth { get; init; }
    [JsonPropertyName("access_token_lifetime_seconds")] public int? AccessTokenLifetimeSeconds { get; init; }
    [JsonPropertyName("require_sender_constrained_tokens")] public bool? RequireSenderConstrainedTokens { get; init; }
    [JsonPropertyName("approval_rules")] public IList<ApprovalRuleView>? ApprovalRules { get; init; }
    [JsonPropertyName("backchannel_notification_endpoint")]
    public JsonElement? BackchannelNotificationEndpoint
    {
        get => _notificationEndpoint;
        init
        {
            // Called for an explicit null too: null removes the endpoint, leaving the field out keeps it.
            _notificationEndpoint = value;
            NotificationEndpointSent = true;
        }
    }

    private readonly JsonElement? _notificationEndpoint;

    [JsonIgnore] public bool NotificationEndpointSent { get; private init; }
    [JsonPropertyName("budget")] public BudgetView? Budget { get; init; }
    [JsonPropertyName("signing_keys")] public IList<JsonElement>? SigningKeys { get; init; }

    /// <summary>The agent as it is, with the fields this update names changed.</summary>
    public AgentRegistration MergeInto(AgentProfile current)
    {
        var merged = AgentRegistration.FromProfile(current);
        merged.DisplayName = DisplayName ?? merged.DisplayName;
        merged.Owner = Owner ?? merged.Owner;
        merged.Capabilities = Capabilities ?? merged.Capabilities;
        merged.DefaultScopes = DefaultScopes ?? merged.DefaultScopes;
        merged.AllowedTools = AllowedTools ?? merged.AllowedTools;
        merged.CanActForUsers = CanActForUsers ?? merged.CanActForUsers;
        merged.MaxChainDepth = MaxChainDepth ?? merged.MaxChainDepth;
        merged.AccessTokenLifetime = AccessTokenLifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : merged.AccessTokenLifetime;
        merged.RequireSenderConstrainedTokens = RequireSenderConstrainedTokens ?? merged.RequireSenderConstrainedTokens;
        merged.ApprovalRules = ApprovalRules is { } rules ? [.. rules.Select(r => r?.ToRule()!)] : merged.ApprovalRules;
        // Absent keeps the endpoint; null removes it (back to polling).
        merged.BackchannelNotificationEndpoint = NotificationEndpointSent
            ? BackchannelNotificationEndpoint is { } endpoint ? AdminUris.Parse(endpoint) : null
            : merged.BackchannelNotificationEndpoint;
        merged.Budget = Budget?.ToPolicy() ?? merged.Budget;
        merged.SigningKeys = SigningKeys is { } keys ? [.. keys.Select(k => k.GetRawText())] : merged.SigningKeys;
        return merged;
    }
}

/// <summary>The JSON body of a registration.</summary>
internal sealed record RegistrationRequest
{
    /// <summary>Fields a registration cannot set, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotWritable = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["status"] = "'status' cannot be set: a new agent starts active; use POST /{id}/suspend, /resume or /revoke.",
        ["client_secret"] = "'client_secret' cannot be set: the server generates it and shows it once.",
        ["created_at"] = "'created_at' is set by the server.",
        ["workload_bindings"] = "'workload_bindings' cannot be set here; use PUT /{id}/workload-bindings.",
    };

    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("display_name")] public string? DisplayName { get; init; }
    [JsonPropertyName("owner")] public string? Owner { get; init; }
    [JsonPropertyName("capabilities")] public IList<string>? Capabilities { get; init; }
    [JsonPropertyName("default_scopes")] public IList<string>? DefaultScopes { get; init; }
    [JsonPropertyName("allowed_tools")] public IList<string>? AllowedTools { get; init; }
    [JsonPropertyName("can_act_for_users")] public bool CanActForUsers { get; init; }
    [JsonPropertyName("max_chain_depth")] public int? MaxChainDepth { get; init; }
    [JsonPropertyName("access_token_lifetime_seconds")] public int? AccessTokenLifetimeSeconds { get; init; }
    [JsonPropertyName("require_sender_constrained_tokens")] public bool RequireSenderConstrainedTokens { get; init; }
    [JsonPropertyName("approval_rules")] public IList<ApprovalRuleView>? ApprovalRules { get; init; }
    [JsonPropertyName("backchannel_notification_endpoint")] public JsonElement? BackchannelNotificationEndpoint { get; init; }
    [JsonPropertyName("budget")] public BudgetView? Budget { get; init; }
    [JsonPropertyName("redirect_uris")] public IList<Uri>? RedirectUris { get; init; }
    [JsonPropertyName("confidential")] public bool? Confidential { get; init; }
    [JsonPropertyName("signing_keys")] public IList<JsonElement>? SigningKeys { get; init; }

    public AgentRegistration ToRegistration(string? secret) => new()
    {
        Id = Id ?? string.Empty,
        DisplayName = DisplayName ?? string.Empty,
        Owner = Owner ?? string.Empty,
        Capabilities = Capabilities ?? [],
        DefaultScopes = DefaultScopes ?? [],
        AllowedTools = AllowedTools ?? [],
        CanActForUsers = CanActForUsers,
        MaxChainDepth = MaxChainDepth ?? DelegationRules.DefaultMaxChainDepth,
        AccessTokenLifetime = AccessTokenLifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : AgentProfile.DefaultAccessTokenLifetime,
        RequireSenderConstrainedTokens = RequireSenderConstrainedTokens,
        ApprovalRules = ApprovalRules?.Select(r => r?.ToRule()!).ToList() ?? [],
        BackchannelNotificationEndpoint = BackchannelNotificationEndpoint is { } endpoint ? AdminUris.Parse(endpoint) : null,
        Budget = Budget?.ToPolicy() ?? new BudgetPolicy(),
        RedirectUris = RedirectUris ?? [],
        SigningKeys = SigningKeys?.Select(k => k.GetRawText()).ToList() ?? [],
        ClientSecret = secret,
    };
}

/// <summary>Reads a URI field of the admin API: null stays null, anything that is not an absolute URI becomes a relative one the validator refuses.</summary>
internal static class AdminUris
{
    public static Uri? Parse(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String when Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri) => uri,
        _ => new Uri("not-an-absolute-uri", UriKind.Relative),
    };
}
