using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using LumoAuth.Agents;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.OpenIddict.Usage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
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
    /// <remarks>
    /// The API reads its own input, so nothing depends on the host's exception handling or on
    /// <c>RouteHandlerOptions.ThrowOnBadRequest</c>: JSON bodies only (415 otherwise), at most
    /// <c>LumoAgents:Api:MaxJsonBodyBytes</c> (413), malformed JSON 400 <c>body_malformed</c>, unknown or read-only fields
    /// 400 <c>fields_not_allowed</c>, wrong types and control characters 400 <c>registration_invalid</c>, bad query values
    /// 400 <c>query_invalid</c>, an existing id 409 <c>agent_exists</c>. Field errors use the request's snake_case names.
    /// Tokens in the URL query or a form body are refused; callers without a valid token are rate limited per IP
    /// (<see cref="LumoAuth.Agents.OpenIddict.Endpoints.LumoAgentsApiOptions"/>).
    /// </remarks>
    public static RouteGroupBuilder MapLumoAgentsAdmin(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/api/v1/agents")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix).DisableAntiforgery().WithLumoAgentsApiConventions(endpoints);
        group.MapGet("/", ListAsync);
        // No Accepts<T>() on the bodies: its content-type matcher answers 415 with an empty body before the handler runs.
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

    /// <summary>Fields a registration cannot set, and why.</summary>
    private static readonly Dictionary<string, string> NotRegistrable = new(StringComparer.Ordinal)
    {
        ["status"] = "'status' cannot be set: a new agent starts active; use POST /{id}/suspend, /resume or /revoke.",
        ["client_secret"] = "'client_secret' cannot be set: the server generates it and shows it once.",
        ["created_at"] = "'created_at' is set by the server.",
        ["workload_bindings"] = "'workload_bindings' cannot be set here; use PUT /{id}/workload-bindings.",
    };

    /// <summary>Fields an update cannot change, and why.</summary>
    private static readonly Dictionary<string, string> NotUpdatable = new(StringComparer.Ordinal)
    {
        ["id"] = "'id' is read-only: an agent's id never changes.",
        ["status"] = "'status' is read-only here; use POST /{id}/suspend, /resume or /revoke.",
        ["client_secret"] = "'client_secret' is read-only; use POST /{id}/secret to rotate it.",
        ["created_at"] = "'created_at' is read-only.",
        ["confidential"] = "'confidential' is fixed at registration.",
        ["redirect_uris"] = "'redirect_uris' is fixed at registration.",
        ["workload_bindings"] = "'workload_bindings' is read-only here; use PUT /{id}/workload-bindings.",
    };

    private static async Task<IResult> ListAsync(HttpContext http, IAgentStore agents)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        var query = new ApiQuery(http);
        var status = query.Choice<AgentStatus>("status");
        var capability = query.Text("capability");
        var owner = query.Text("owner");
        var skip = query.Integer("skip", 0, 0, int.MaxValue);
        var take = query.Integer("take", 50, 1, 100);
        if (!query.IsValid)
        {
            return await RefuseAsync(http, principal, null, null, InvalidQuery(query));
        }

        var page = await agents.ListAsync(new AgentQuery { Status = status, Capability = capability, Owner = owner, Skip = skip, Take = take }, http.RequestAborted);
        return Results.Json(new { agents = page.Select(AgentView.From), skip, take });
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, IAgentStore agents)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, null, null, InvalidQuery(query));
        }

        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(http, id);
        }

        http.Response.Headers.ETag = ETag(agent);
        return Results.Json(AgentView.From(agent));
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, IAgentRegistry registry, IAgentClientRegistrar clients, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        var (body, bad) = await ApiJsonBody.ReadAsync<RegistrationRequest>(http, Limits(http), AgentErrorCodes.RegistrationInvalid, "The registration is not valid", NotRegistrable);
        if (bad is not null)
        {
            return await RefuseAsync(http, principal, "register", null, bad);
        }

        var context = Context(http, principal);
        if (body!.Id is { Length: > 0 } wanted && await ExistsAsync(wanted))
        {
            return await ConflictAsync(wanted);
        }

        var secret = body.Confidential ?? true ? Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) : null;
        var registration = body.ToRegistration(secret);
        AgentRegistrationResult result;
        try
        {
            result = await registry.RegisterAsync(registration, http.RequestAborted);
        }
        catch (InvalidOperationException)
        {
            if (!await ExistsAsync(registration.Id))
            {
                throw;
            }

            // Registered by a concurrent request between the check and the write.
            return await ConflictAsync(registration.Id);
        }

        if (!result.Succeeded)
        {
            var errors = ApiProblem.Fields(result.Errors);
            await audit.RecordAdminAsync("register", registration.Id, new AgentError(AgentErrorCodes.RegistrationInvalid, OAuthErrors.InvalidRequest,
                string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))), context, http.RequestAborted);
            return ApiProblem.Of(http, StatusCodes.Status400BadRequest, AgentErrorCodes.RegistrationInvalid, "The registration is not valid",
                $"These fields are not valid: {string.Join(", ", errors.Keys)}. Nothing was written.", errors);
        }

        await audit.RecordAdminAsync("register", registration.Id, null, context, http.RequestAborted);
        var agent = result.Agent!;
        var stored = await registry.FindAsync(agent.Id, http.RequestAborted) ?? agent;
        http.Response.Headers.ETag = ETag(stored);
        return Results.Created($"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{Uri.EscapeDataString(agent.Id)}",
            new { agent = AgentView.From(stored), client_secret = secret, client_secret_note = secret is null ? null : "Shown once; only a hash is kept." });

        async Task<bool> ExistsAsync(string id) =>
            await registry.FindAsync(id, http.RequestAborted) is not null || await clients.ExistsAsync(id, http.RequestAborted);

        async Task<IResult> ConflictAsync(string id)
        {
            var detail = $"An agent or client with id '{id}' already exists; nothing was changed. Choose another id, or change the existing agent with PATCH.";
            await audit.RecordAdminAsync("register", id, new AgentError(AgentErrorCodes.AgentExists, OAuthErrors.InvalidRequest, detail), context, http.RequestAborted);
            return ApiProblem.Of(http, StatusCodes.Status409Conflict, AgentErrorCodes.AgentExists, "The agent already exists", detail);
        }
    }

    private static async Task<IResult> SetStatusAsync(string id, AgentStatus status, string action, HttpContext http, IAgentRegistry registry, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, action, null, InvalidQuery(query));
        }

        var agent = await registry.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(http, id);
        }

        var context = Context(http, principal);
        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            return await PreconditionRequiredAsync(http, audit, action, id, context);
        }

        try
        {
            if (agent.Status == AgentStatus.Revoked && status != AgentStatus.Revoked)
            {
                return await RevokedAsync(http, audit, action, id, context, "a revoked agent cannot be made active again");
            }

            if (!IfMatches(ifMatch, ETag(agent)) || !await registry.SetStatusAsync(id, status, agent.Version, http.RequestAborted))
            {
                return await PreconditionFailedAsync(http, audit, action, id, context);
            }
        }
        catch (InvalidOperationException)
        {
            // Revoked between the read and the change.
            return await RevokedAsync(http, audit, action, id, context, "a revoked agent cannot be made active again");
        }

        await audit.RecordAdminAsync(action, id, null, context, http.RequestAborted);
        var updated = (await registry.FindAsync(id, http.RequestAborted))!;
        http.Response.Headers.ETag = ETag(updated);
        return Results.Json(AgentView.From(updated));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IAgentRegistry registry, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, "update", null, InvalidQuery(query));
        }

        var current = await registry.FindAsync(id, http.RequestAborted);
        if (current is null)
        {
            return NotFound(http, id);
        }

        var context = Context(http, principal);
        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            return await PreconditionRequiredAsync(http, audit, "update", id, context);
        }

        var (body, bad) = await ApiJsonBody.ReadAsync<UpdateRequest>(http, Limits(http), AgentErrorCodes.RegistrationInvalid, "The update is not valid", NotUpdatable);
        if (bad is not null)
        {
            return await RefuseAsync(http, principal, "update", id, bad);
        }

        var result = IfMatches(ifMatch, ETag(current))
            ? await registry.UpdateAsync(body!.MergeInto(current), current.Version, http.RequestAborted)
            : new AgentUpdateResult { Conflict = true };
        if (result.Conflict)
        {
            return await PreconditionFailedAsync(http, audit, "update", id, context);
        }

        if (result.Agent is null)
        {
            var errors = ApiProblem.Fields(result.Errors);
            await audit.RecordAdminAsync("update", id, new AgentError(AgentErrorCodes.RegistrationInvalid, OAuthErrors.InvalidRequest,
                string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))), context, http.RequestAborted);
            return ApiProblem.Of(http, StatusCodes.Status400BadRequest, AgentErrorCodes.RegistrationInvalid, "The update is not valid",
                $"These fields are not valid: {string.Join(", ", errors.Keys)}. Nothing was written.", errors);
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

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, "rotate_secret", null, InvalidQuery(query));
        }

        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(http, id);
        }

        if (agent.Status == AgentStatus.Revoked)
        {
            return await RevokedAsync(http, audit, "rotate_secret", id, Context(http, principal), "its credentials cannot be renewed");
        }

        // The old secret stops working at once; the new one is shown here only, and only its hash is kept.
        var secret = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await clients.SetSecretAsync(id, secret, http.RequestAborted);
        await audit.RecordAdminAsync("rotate_secret", id, null, Context(http, principal), http.RequestAborted);
        return Results.Json(new { agent_id = id, client_secret = secret, client_secret_note = "Shown once; only a hash is kept. The previous secret no longer works on this server, and on every instance sharing its database within LumoAgents:RegistryCacheDuration (2 seconds by default)." });
    }

    private static async Task<IResult> ConsentsAsync(string id, HttpContext http, IAgentStore agents, LumoAuth.Agents.Consent.IConsentStore consents)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        var query = new ApiQuery(http);
        var skip = query.Integer("skip", 0, 0, int.MaxValue);
        var take = query.Integer("take", 50, 1, 100);
        if (!query.IsValid)
        {
            return await RefuseAsync(http, principal, null, null, InvalidQuery(query));
        }

        if (await agents.FindAsync(id, http.RequestAborted) is null)
        {
            return NotFound(http, id);
        }

        var page = await consents.ListByAgentAsync(id, skip, take, http.RequestAborted);
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

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, "consent_withdraw", null, InvalidQuery(query));
        }

        if (await consents.WithdrawAsync(subject, id, Context(http, principal), http.RequestAborted))
        {
            return Results.NoContent();
        }

        await audit.RecordAdminAsync("consent_withdraw", id, new AgentError(AgentErrorCodes.ConsentMissing, OAuthErrors.InvalidRequest, $"'{subject}' has no consent in force."), Context(http, principal), http.RequestAborted);
        return ApiProblem.Of(http, StatusCodes.Status404NotFound, AgentErrorCodes.ConsentMissing, "No consent in force", $"'{subject}' has no consent in force for agent '{id}'.");
    }

    private static async Task<IResult> BindingsAsync(string id, HttpContext http, IAgentStore agents, LumoAuth.Agents.Workload.IWorkloadBindingStore bindings)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, null, null, InvalidQuery(query));
        }

        if (await agents.FindAsync(id, http.RequestAborted) is null)
        {
            return NotFound(http, id);
        }

        var list = await bindings.ListAsync(id, http.RequestAborted);
        return Results.Json(new { workload_bindings = list.Select(b => new { issuer = b.Issuer, subject = b.Subject, claims = b.Claims }) });
    }

    private static async Task<IResult> SetBindingsAsync(string id, HttpContext http, IAgentRegistry registry, AuditTrail audit)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, "workload_bindings", null, InvalidQuery(query));
        }

        var (body, bad) = await ApiJsonBody.ReadAsync<BindingRequest[]>(http, Limits(http), AgentErrorCodes.RegistrationInvalid, "The bindings are not valid");
        if (bad is not null)
        {
            return await RefuseAsync(http, principal, "workload_bindings", id, bad);
        }

        var result = await registry.SetWorkloadBindingsAsync(id, body!.Select(b => new LumoAuth.Agents.Workload.WorkloadBinding
        {
            Issuer = b.Issuer ?? string.Empty,
            Subject = b.Subject ?? string.Empty,
            Claims = new Dictionary<string, string>(b.Claims ?? new Dictionary<string, string>(), StringComparer.Ordinal),
        }).ToList(), http.RequestAborted);
        var context = Context(http, principal);
        if (result.NotFound)
        {
            await audit.RecordAdminAsync("workload_bindings", id, new AgentError(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidRequest, $"No agent '{ErrorText.Echo(id)}' is registered."), context, http.RequestAborted);
            return NotFound(http, id);
        }

        if (result.Errors.Count > 0)
        {
            var errors = ApiProblem.Fields(result.Errors, dropPrefix: "WorkloadBindings");
            await audit.RecordAdminAsync("workload_bindings", id, new AgentError(AgentErrorCodes.RegistrationInvalid, OAuthErrors.InvalidRequest,
                string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))), context, http.RequestAborted);
            return ApiProblem.Of(http, StatusCodes.Status400BadRequest, AgentErrorCodes.RegistrationInvalid, "The bindings are not valid",
                $"These bindings are not valid: {string.Join(", ", errors.Keys)}. Nothing was written.", errors);
        }

        await audit.RecordAdminAsync("workload_bindings", id, null, context, http.RequestAborted);
        return Results.NoContent();
    }

    private static async Task<IResult> BudgetAsync(string id, HttpContext http, IAgentStore agents, IBudgetLedger ledger, TimeProvider time)
    {
        var (principal, refusal) = await ScopedBearer.AuthenticateAsync(http, AdminScope);
        if (refusal is not null)
        {
            return refusal;
        }

        if (new ApiQuery(http) is { IsValid: false } query)
        {
            return await RefuseAsync(http, principal, null, null, InvalidQuery(query));
        }

        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return NotFound(http, id);
        }

        var now = time.GetUtcNow();
        var usage = new List<object>();
        foreach (var metric in Enum.GetValues<BudgetMetric>())
        {
            var limit = BudgetGate.Limits(agent.Budget).Where(l => l.Metric == metric).Select(l => (long?)l.Limit).FirstOrDefault();
            usage.Add(new
            {
                metric = BudgetWire.Name(metric),
                window = BudgetWire.Window(metric),
                unit = BudgetWire.Unit(metric),
                used = BudgetWire.ToWire(metric, await ledger.ReadAsync(agent.Id, metric, now, http.RequestAborted)),
                limit = BudgetWire.ToWire(metric, limit),
                window_resets_at = BudgetWindow.For(metric, now).Reset,
            });
        }

        return Results.Json(new { agent_id = agent.Id, budgets = usage });
    }

    private static LumoAgentsApiOptions Limits(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<ApiCallerGuard>()?.Options ?? new LumoAgentsApiOptions();

    private static ApiRefusal InvalidQuery(ApiQuery query) => new(StatusCodes.Status400BadRequest, AgentErrorCodes.QueryInvalid, "The query is not valid",
        $"These parameters are not valid: {string.Join(", ", query.Errors.Keys)}.", query.Errors);

    /// <summary>Audits a refused request (one record: the caller is authenticated) and answers its problem; nothing was changed.</summary>
    private static async Task<IResult> RefuseAsync(HttpContext http, System.Security.Claims.ClaimsPrincipal? principal, string? action, string? agentId, ApiRefusal refusal)
    {
        if (action is not null)
        {
            await http.RequestServices.GetRequiredService<AuditTrail>().RecordAdminAsync(action, agentId ?? string.Empty,
                new AgentError(refusal.Code, OAuthErrors.InvalidRequest, refusal.Describe()), Context(http, principal), http.RequestAborted);
        }
        else
        {
            await ScopedBearer.AuditAsync(http, principal, refusal.Code, OAuthErrors.InvalidRequest, refusal.Describe());
        }

        return refusal.ToResult(http);
    }

    private static async Task<IResult> PreconditionRequiredAsync(HttpContext http, AuditTrail audit, string action, string id, AuditContext context)
    {
        await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.PreconditionRequired, OAuthErrors.InvalidRequest, "If-Match is required."), context, http.RequestAborted);
        return ApiProblem.Of(http, StatusCodes.Status428PreconditionRequired, AgentErrorCodes.PreconditionRequired, "If-Match required",
            $"Send If-Match with the ETag of agent '{id}' from GET, so concurrent changes are not lost.");
    }

    private static async Task<IResult> PreconditionFailedAsync(HttpContext http, AuditTrail audit, string action, string id, AuditContext context)
    {
        await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.PreconditionFailed, OAuthErrors.InvalidRequest, "The agent changed since the given ETag."), context, http.RequestAborted);
        return ApiProblem.Of(http, StatusCodes.Status412PreconditionFailed, AgentErrorCodes.PreconditionFailed, "The agent changed",
            $"Agent '{id}' changed since the given ETag; GET it again.");
    }

    private static async Task<IResult> RevokedAsync(HttpContext http, AuditTrail audit, string action, string id, AuditContext context, string consequence)
    {
        await audit.RecordAdminAsync(action, id, new AgentError(AgentErrorCodes.AgentRevoked, OAuthErrors.InvalidRequest, $"Agent '{id}' is revoked."), context, http.RequestAborted);
        return ApiProblem.Of(http, StatusCodes.Status409Conflict, AgentErrorCodes.AgentRevoked, "The agent is revoked", $"Agent '{id}' is revoked; {consequence}.");
    }

    private static IResult NotFound(HttpContext http, string id) =>
        ApiProblem.Of(http, StatusCodes.Status404NotFound, AgentErrorCodes.AgentUnknown, "Unknown agent", $"No agent '{ErrorText.Echo(id)}' is registered.");

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
        [property: JsonPropertyName("budget")] BudgetView Budget,
        [property: JsonPropertyName("signing_keys")] IReadOnlyList<JsonElement> SigningKeys,
        [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt)
    {
        public static AgentView From(AgentProfile agent) => new(
            agent.Id, agent.DisplayName, agent.Owner, agent.Status.ToString().ToLowerInvariant(), [.. agent.Capabilities], [.. agent.DefaultScopes],
            [.. agent.AllowedTools.Order(StringComparer.Ordinal)], agent.Delegation.CanActForUsers, agent.Delegation.MaxChainDepth,
            (int)agent.AccessTokenLifetime.TotalSeconds, BudgetView.From(agent.Budget), [.. agent.SigningKeys.Select(k => JsonDocument.Parse(k).RootElement.Clone())], agent.CreatedAt);
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
        [JsonPropertyName("budget")] public BudgetView? Budget { get; init; }
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
            Budget = Budget?.ToPolicy() ?? current.Budget,
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
            Budget = Budget?.ToPolicy() ?? new BudgetPolicy(),
            RedirectUris = RedirectUris ?? [],
            SigningKeys = SigningKeys?.Select(k => k.GetRawText()).ToList() ?? [],
            ClientSecret = secret,
        };
    }
}
