using System.Text.Json;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using LumoAuth.Agents.Agents;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The agent registry's admin API.</summary>
public static class LumoAgentsAdminEndpoints
{
    /// <summary>The scope an administrator's access token must hold.</summary>
    public const string AdminScope = "agents:admin";

    /// <summary>
    /// Maps the registry API under <paramref name="prefix"/>: <c>GET /</c> (paged, filtered by status, capability,
    /// owner), <c>POST /</c> (register; the generated client secret is shown once), <c>GET /{id}</c> (with an
    /// <c>ETag</c>), <c>PATCH /{id}</c> (fields left out keep their value; with <c>If-Match</c>), <c>POST /{id}/suspend|resume|revoke</c> (with <c>If-Match</c>: 428 without it, 412 when stale), and
    /// <c>GET /{id}/budget</c>, <c>POST /{id}/secret</c> (rotate: the new secret is shown once, the old one stops working). Every call needs a token from this server with <c>agents:admin</c>; refusals are RFC 9457
    /// problems and every change or refused change is audited.
    /// </summary>
    public static RouteGroupBuilder MapLumoAgentsAdmin(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/api/v1/agents")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix).DisableAntiforgery();
        group.MapGet("/", ListAsync);
        group.MapPost("/", RegisterAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPatch("/{id}", UpdateAsync);
        group.MapPost("/{id}/suspend", (string id, HttpContext http, IAgentRegistry registry, AuditTrail audit) => SetStatusAsync(id, AgentStatus.Suspended, "suspend", http, registry, audit));
        group.MapPost("/{id}/resume", (string id, HttpContext http, IAgentRegistry registry, AuditTrail audit) => SetStatusAsync(id, AgentStatus.Active, "resume", http, registry, audit));
        group.MapPost("/{id}/revoke", (string id, HttpContext http, IAgentRegistry registry, AuditTrail audit) => SetStatusAsync(id, AgentStatus.Revoked, "revoke", http, registry, audit));
        group.MapGet("/{id}/budget", BudgetAsync);
        group.MapPost("/{id}/secret", RotateSecretAsync);
        group.MapGet("/{id}/consents", ConsentsAsync);
        group.MapDelete("/{id}/consents/{subject}", WithdrawConsentAsync);
        group.MapGet("/{id}/workload-bindings", BindingsAsync);
        group.MapPut("/{id}/workload-bindings", SetBindingsAsync);
        return group;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IAgentStore agents, string? status, string? capability, string? owner, int? skip, int? take)
    {
        if ((await ScopedBearer.AuthenticateAsync(http, AdminScope)).Refusal is { } refusal)
        {
            return refusal;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        AgentStatus? wanted = null;
        if (status is not null)
        {
            if (Enum.TryParse<AgentStatus>(status, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(status, out _))
            {
                wanted = parsed;
            }
            else
            {
                errors["status"] = ["'status' must be active, suspended or revoked."];
            }
        }

        if (skip is < 0)
        {
            errors["skip"] = ["'skip' must be zero or more."];
        }

        if (take is < 1 or > 100)
        {
            errors["take"] = ["'take' must be between 1 and 100."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The query is not valid");
        }

        var page = await agents.ListAsync(new AgentQuery { Status = wanted, Capability = capability, Owner = owner, Skip = skip ?? 0, Take = take ?? 50 }, http.RequestAborted);
        return Results.Json(new { agents = page.Select(AgentView.From), skip = skip ?? 0, take = take ?? 50 });
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, IAgentStore agents)
    {
        if ((await ScopedBearer.AuthenticateAsync(http, AdminScope)).Refusal is { } refusal)
        {
            return refusal;
        }

        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(id);
        }

        http.Response.Headers.ETag = ETag(agent);
        return Results.Json(AgentView.From(agent));
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, IAgentRegistry registry, AuditTrail audit, RegistrationRequest? body)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (body is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] }, title: "The registration is not valid");
        }

        var secret = body.Confidential ?? true ? Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) : null;
        var registration = body.ToRegistration(secret);
        var result = await registry.RegisterAsync(registration, http.RequestAborted);
        var context = Context(http, principal);
        if (!result.Succeeded)
        {
            var errors = result.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
            await audit.RecordAdminAsync("register", registration.Id, new AgentError("registration_invalid", OAuthErrors.InvalidRequest,
                string.Join(" ", result.Errors.Select(e => $"{e.Field}: {e.Message}"))), context, http.RequestAborted);
            return Results.ValidationProblem(errors, title: "The registration is not valid", type: "https://lumoauth.dev/agents/docs/errors#registration_invalid");
        }

        await audit.RecordAdminAsync("register", registration.Id, null, context, http.RequestAborted);
        var agent = result.Agent!;
        var stored = await registry.FindAsync(agent.Id, http.RequestAborted) ?? agent;
        http.Response.Headers.ETag = ETag(stored);
        return Results.Created($"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{agent.Id}",
            new { agent = AgentView.From(stored), client_secret = secret, client_secret_note = secret is null ? null : "Shown once; only a hash is kept." });
    }

    private static async Task<IResult> SetStatusAsync(string id, AgentStatus status, string action, HttpContext http, IAgentRegistry registry, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        var agent = await registry.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(id);
        }

        var context = Context(http, principal);
        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            await audit.RecordAdminAsync(action, id, new AgentError("precondition_required", OAuthErrors.InvalidRequest, "If-Match is required."), context, http.RequestAborted);
            return Results.Problem(statusCode: 428, title: "If-Match required", detail: $"Send If-Match with the ETag of agent '{id}' from GET, so concurrent changes are not lost.");
        }

        try
        {
            if (agent.Status == AgentStatus.Revoked && status != AgentStatus.Revoked)
            {
                await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.AgentRevoked, OAuthErrors.InvalidRequest, $"Agent '{id}' is revoked."), context, http.RequestAborted);
                return Results.Problem(statusCode: 409, title: "The agent is revoked", detail: $"Agent '{id}' is revoked; a revoked agent cannot be made active again.");
            }

            if (!IfMatches(ifMatch, ETag(agent)) || !await registry.SetStatusAsync(id, status, agent.Version, http.RequestAborted))
            {
                await audit.RecordAdminAsync(action, id, new AgentError("precondition_failed", OAuthErrors.InvalidRequest, "The agent changed since the given ETag."), context, http.RequestAborted);
                return Results.Problem(statusCode: 412, title: "The agent changed", detail: $"Agent '{id}' changed since the given ETag; GET it again.");
            }
        }
        catch (InvalidOperationException)
        {
            // Revoked between the read and the change.
            await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.AgentRevoked, OAuthErrors.InvalidRequest, $"Agent '{id}' is revoked."), context, http.RequestAborted);
            return Results.Problem(statusCode: 409, title: "The agent is revoked", detail: $"Agent '{id}' is revoked; a revoked agent cannot be made active again.");
        }

        await audit.RecordAdminAsync(action, id, null, context, http.RequestAborted);
        var updated = (await registry.FindAsync(id, http.RequestAborted))!;
        http.Response.Headers.ETag = ETag(updated);
        return Results.Json(AgentView.From(updated));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IAgentRegistry registry, AuditTrail audit, UpdateRequest? body)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        var current = await registry.FindAsync(id, http.RequestAborted);
        if (current is null)
        {
            return NotFound(id);
        }

        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            await audit.RecordAdminAsync("update", id, new AgentError("precondition_required", OAuthErrors.InvalidRequest, "If-Match is required."), Context(http, principal), http.RequestAborted);
            return Results.Problem(statusCode: 428, title: "If-Match required", detail: $"Send If-Match with the ETag of agent '{id}' from GET, so concurrent changes are not lost.");
        }

        if (body is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON body is required."] }, title: "The update is not valid");
        }

        var context = Context(http, principal);
        var result = IfMatches(ifMatch, ETag(current))
            ? await registry.UpdateAsync(body.MergeInto(current), current.Version, http.RequestAborted)
            : new AgentUpdateResult { Conflict = true };
        if (result.Conflict)
        {
            await audit.RecordAdminAsync("update", id, new AgentError("precondition_failed", OAuthErrors.InvalidRequest, "The agent changed since the given ETag."), context, http.RequestAborted);
            return Results.Problem(statusCode: 412, title: "The agent changed", detail: $"Agent '{id}' changed since the given ETag; GET it again.");
        }

        if (result.Agent is null)
        {
            var errors = result.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());
            await audit.RecordAdminAsync("update", id, new AgentError("registration_invalid", OAuthErrors.InvalidRequest,
                string.Join(" ", result.Errors.Select(e => $"{e.Field}: {e.Message}"))), context, http.RequestAborted);
            return Results.ValidationProblem(errors, title: "The update is not valid", type: "https://lumoauth.dev/agents/docs/errors#registration_invalid");
        }

        await audit.RecordAdminAsync("update", id, null, context, http.RequestAborted);
        http.Response.Headers.ETag = ETag(result.Agent);
        return Results.Json(AgentView.From(result.Agent));
    }

    private static async Task<IResult> RotateSecretAsync(string id, HttpContext http, IAgentStore agents, IAgentClientRegistrar clients, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(id);
        }

        if (agent.Status == AgentStatus.Revoked)
        {
            await audit.RecordAdminAsync("rotate_secret", id, new AgentError(AgentErrorCodes.AgentRevoked, OAuthErrors.InvalidRequest, $"Agent '{id}' is revoked."), Context(http, principal), http.RequestAborted);
            return Results.Problem(statusCode: 409, title: "The agent is revoked", detail: $"Agent '{id}' is revoked; its credentials cannot be renewed.");
        }

        // The old secret stops working at once; the new one is shown here only, and only its hash is kept.
        var secret = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await clients.SetSecretAsync(id, secret, http.RequestAborted);
        await audit.RecordAdminAsync("rotate_secret", id, null, Context(http, principal), http.RequestAborted);
        return Results.Json(new { agent_id = id, client_secret = secret, client_secret_note = "Shown once; only a hash is kept. The previous secret no longer works on this server, and on every instance sharing its database within LumoAgents:RegistryCacheDuration (2 seconds by default)." });
    }

    private static async Task<IResult> ConsentsAsync(string id, HttpContext http, IAgentStore agents, LumoAuth.Agents.Consent.IConsentStore consents, int? skip, int? take)
    {
        if ((await ScopedBearer.AuthenticateAsync(http, AdminScope)).Refusal is { } refusal)
        {
            return refusal;
        }

        if (await agents.FindAsync(id, http.RequestAborted) is null)
        {
            return NotFound(id);
        }

        if (skip is < 0 || take is < 1 or > 100)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["take"] = ["'skip' must be zero or more and 'take' between 1 and 100."] }, title: "The query is not valid");
        }

        var page = await consents.ListByAgentAsync(id, skip ?? 0, take ?? 50, http.RequestAborted);
        return Results.Json(new
        {
            consents = page.Select(c => new { subject = c.Subject, scopes = c.Scopes.ToString(), granted_at = c.GrantedAt, withdrawn_at = c.WithdrawnAt, active = c.IsActive }),
        });
    }

    private static async Task<IResult> WithdrawConsentAsync(string id, string subject, HttpContext http, LumoAuth.Agents.Consent.ConsentRegistry consents, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (await consents.WithdrawAsync(subject, id, Context(http, principal), http.RequestAborted))
        {
            return Results.NoContent();
        }

        await audit.RecordAdminAsync("consent_withdraw", id, new AgentError(AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidRequest, $"'{subject}' has no consent in force."), Context(http, principal), http.RequestAborted);
        return Results.Problem(statusCode: 404, title: "No consent in force", detail: $"'{subject}' has no consent in force for agent '{id}'.");
    }

    private static async Task<IResult> BindingsAsync(string id, HttpContext http, IAgentStore agents, LumoAuth.Agents.Workload.IWorkloadBindingStore bindings)
    {
        if ((await ScopedBearer.AuthenticateAsync(http, AdminScope)).Refusal is { } refusal)
        {
            return refusal;
        }

        if (await agents.FindAsync(id, http.RequestAborted) is null)
        {
            return NotFound(id);
        }

        var list = await bindings.ListAsync(id, http.RequestAborted);
        return Results.Json(new { workload_bindings = list.Select(b => new { issuer = b.Issuer, subject = b.Subject, claims = b.Claims }) });
    }

    private static async Task<IResult> SetBindingsAsync(string id, HttpContext http, IAgentRegistry registry, AuditTrail audit, BindingRequest[]? body)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (body is null)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = ["A JSON array of {issuer, subject, claims} is required."] }, title: "The bindings are not valid");
        }

        var result = await registry.SetWorkloadBindingsAsync(id, body.Select(b => new LumoAuth.Agents.Workload.WorkloadBinding
        {
            Issuer = b.Issuer ?? string.Empty,
            Subject = b.Subject ?? string.Empty,
            Claims = new Dictionary<string, string>(b.Claims ?? new Dictionary<string, string>(), StringComparer.Ordinal),
        }).ToList(), http.RequestAborted);
        var context = Context(http, principal);
        if (result.NotFound)
        {
            await audit.RecordAdminAsync("workload_bindings", id, new AgentError(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidRequest, $"No agent '{id}' is registered."), context, http.RequestAborted);
            return NotFound(id);
        }

        if (result.Errors.Count > 0)
        {
            await audit.RecordAdminAsync("workload_bindings", id, new AgentError("registration_invalid", OAuthErrors.InvalidRequest,
                string.Join(" ", result.Errors.Select(e => $"{e.Field}: {e.Message}"))), context, http.RequestAborted);
            return Results.ValidationProblem(result.Errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
                title: "The bindings are not valid", type: "https://lumoauth.dev/agents/docs/errors#registration_invalid");
        }

        await audit.RecordAdminAsync("workload_bindings", id, null, context, http.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> BudgetAsync(string id, HttpContext http, IAgentStore agents, IBudgetLedger ledger, TimeProvider time)
    {
        if ((await ScopedBearer.AuthenticateAsync(http, AdminScope)).Refusal is { } refusal)
        {
            return refusal;
        }

        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(id);
        }

        var now = time.GetUtcNow();
        var usage = new List<object>();
        foreach (var metric in Enum.GetValues<BudgetMetric>())
        {
            var limit = BudgetGate.Limits(agent.Budget).Where(l => l.Metric == metric).Select(l => (long?)l.Limit).FirstOrDefault();
            usage.Add(new
            {
                metric = metric.ToString(),
                used = await ledger.ReadAsync(agent.Id, metric, now, http.RequestAborted),
                limit,
                window_resets_at = BudgetWindow.For(metric, now).Reset,
            });
        }

        return Results.Json(new { agent_id = agent.Id, budgets = usage });
    }

    private static IResult NotFound(string id) => Results.Problem(statusCode: 404, title: "Unknown agent", detail: $"No agent '{id}' is registered.");

    private static string ETag(AgentProfile agent) => $"\"{agent.Version}\"";

    /// <summary>RFC 9110 If-Match: <c>*</c>, or a list of entity tags compared strongly (weak tags never match).</summary>
    private static bool IfMatches(string header, string etag) =>
        header.Trim() == "*" || header.Split(',').Select(t => t.Trim()).Any(t => !t.StartsWith("W/", StringComparison.Ordinal) && t == etag);

    private static AuditContext Context(HttpContext http, System.Security.Claims.ClaimsPrincipal? principal) => new()
    {
        ClientId = principal?.GetClaim(OpenIddictConstants.Claims.ClientId),
        ClientIp = http.Connection.RemoteIpAddress?.ToString(),
    };

    private sealed record AgentView(
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
        [property: JsonPropertyName("budget")] BudgetPolicy Budget,
        [property: JsonPropertyName("signing_keys")] IReadOnlyList<JsonElement> SigningKeys,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
    {
        public static AgentView From(AgentProfile agent) => new(
            agent.Id, agent.DisplayName, agent.Owner, agent.Status.ToString().ToLowerInvariant(), [.. agent.Capabilities], [.. agent.DefaultScopes],
            [.. agent.AllowedTools.Order(StringComparer.Ordinal)], agent.Delegation.CanActForUsers, agent.Delegation.MaxChainDepth,
            (int)agent.AccessTokenLifetime.TotalSeconds, agent.Budget, [.. agent.SigningKeys.Select(k => JsonDocument.Parse(k).RootElement.Clone())], agent.CreatedAt);
    }

    /// <summary>One workload binding in the admin API.</summary>
    internal sealed record BindingRequest(
        [property: JsonPropertyName("issuer")] string? Issuer,
        [property: JsonPropertyName("subject")] string? Subject,
        [property: JsonPropertyName("claims")] Dictionary<string, string>? Claims);

    /// <summary>The JSON body of an update: fields left out keep their value.</summary>
    internal sealed record UpdateRequest
    {
        [JsonPropertyName("display_name")] public string? DisplayName { get; init; }
        [JsonPropertyName("owner")] public string? Owner { get; init; }
        [JsonPropertyName("capabilities")] public IList<string>? Capabilities { get; init; }
        [JsonPropertyName("default_scopes")] public IList<string>? DefaultScopes { get; init; }
        [JsonPropertyName("allowed_tools")] public IList<string>? AllowedTools { get; init; }
        [JsonPropertyName("can_act_for_users")] public bool? CanActForUsers { get; init; }
        [JsonPropertyName("max_chain_depth")] public int? MaxChainDepth { get; init; }
        [JsonPropertyName("access_token_lifetime_seconds")] public int? AccessTokenLifetimeSeconds { get; init; }
        [JsonPropertyName("budget")] public BudgetPolicy? Budget { get; init; }
        [JsonPropertyName("signing_keys")] public IList<JsonElement>? SigningKeys { get; init; }

        public AgentRegistration MergeInto(AgentProfile current) => new()
        {
            Id = current.Id,
            DisplayName = DisplayName ?? current.DisplayName,
            Owner = Owner ?? current.Owner,
            Capabilities = Capabilities ?? [.. current.Capabilities],
            DefaultScopes = DefaultScopes ?? [.. current.DefaultScopes],
            AllowedTools = AllowedTools ?? [.. current.AllowedTools],
            CanActForUsers = CanActForUsers ?? current.Delegation.CanActForUsers,
            MaxChainDepth = MaxChainDepth ?? current.Delegation.MaxChainDepth,
            AccessTokenLifetime = AccessTokenLifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : current.AccessTokenLifetime,
            Budget = Budget ?? current.Budget,
            SigningKeys = SigningKeys is { } keys ? [.. keys.Select(k => k.GetRawText())] : [.. current.SigningKeys],
            Status = current.Status,
        };
    }

    /// <summary>The JSON body of a registration.</summary>
    internal sealed record RegistrationRequest
    {
        [JsonPropertyName("id")] public string? Id { get; init; }
        [JsonPropertyName("display_name")] public string? DisplayName { get; init; }
        [JsonPropertyName("owner")] public string? Owner { get; init; }
        [JsonPropertyName("capabilities")] public IList<string>? Capabilities { get; init; }
        [JsonPropertyName("default_scopes")] public IList<string>? DefaultScopes { get; init; }
        [JsonPropertyName("allowed_tools")] public IList<string>? AllowedTools { get; init; }
        [JsonPropertyName("can_act_for_users")] public bool CanActForUsers { get; init; }
        [JsonPropertyName("max_chain_depth")] public int? MaxChainDepth { get; init; }
        [JsonPropertyName("access_token_lifetime_seconds")] public int? AccessTokenLifetimeSeconds { get; init; }
        [JsonPropertyName("budget")] public BudgetPolicy? Budget { get; init; }
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
            Budget = Budget ?? new BudgetPolicy(),
            RedirectUris = RedirectUris ?? [],
            SigningKeys = SigningKeys?.Select(k => k.GetRawText()).ToList() ?? [],
            ClientSecret = secret,
        };
    }
}
