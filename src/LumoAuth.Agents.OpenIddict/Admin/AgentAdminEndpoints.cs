using System.Diagnostics.CodeAnalysis;
using LumoAuth.Agents.OpenIddict.Admin;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The agent registry's admin API.</summary>
public static class LumoAgentsAdminEndpoints
{
    /// <summary>The scope an administrator's access token must hold, and the name of the authorization policy that requires it.</summary>
    public const string AdminScope = "agents:admin";

    /// <summary>
    /// Maps the registry API under <paramref name="prefix"/>: <c>GET /</c> (paged, filtered by status, capability,
    /// owner), <c>POST /</c> (register; the generated client secret is shown once), <c>GET /{id}</c> (with an
    /// <c>ETag</c>), <c>PATCH /{id}</c> (fields left out keep their value; with <c>If-Match</c>), <c>POST /{id}/suspend|resume|revoke</c> (with <c>If-Match</c>: 428 without it, 412 when stale), and
    /// <c>GET /{id}/budget</c>, <c>POST /{id}/secret</c> (rotate: the new secret is shown once, the old one stops working). Every call needs a token from this server with <c>agents:admin</c>; refusals are RFC 9457
    /// problems and every change or refused change is audited.
    /// </summary>
    /// <remarks>
    /// The group requires the <c>agents:admin</c> authorization policy, which <c>UseLumoAgents()</c> registers; its
    /// filter checks the token once for every endpoint (the middleware is not involved, so the answers do not depend on
    /// where the host placed it). The API reads its own input, so nothing depends on the host's exception handling or on
    /// <c>RouteHandlerOptions.ThrowOnBadRequest</c>: JSON bodies only (415 otherwise), at most
    /// <c>LumoAgents:Api:MaxJsonBodyBytes</c> (413), malformed JSON 400 <c>body_malformed</c>, unknown or read-only fields
    /// 400 <c>fields_not_allowed</c>, wrong types and control characters 400 <c>registration_invalid</c>, bad query values
    /// 400 <c>query_invalid</c>, an existing id 409 <c>agent_exists</c>. Field errors use the request's snake_case names.
    /// Tokens in the URL query or a form body are refused; callers without a valid token are rate limited per IP
    /// (<see cref="LumoAgentsApiOptions"/>).
    /// </remarks>
    public static RouteGroupBuilder MapLumoAgentsAdmin(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string prefix = "/api/v1/agents")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix).WithLumoAgentsApiConventions(endpoints, ApiPolicies.Admin, "Agents");

        // No Accepts<T>() on the bodies: its content-type matcher answers 415 with an empty body before the handler runs.
        // A registration reads no query, and never refused one.
        group.MapGet("/", AgentRegistryEndpoints.ListAsync)
            .WithSummary("List agents, paged, filtered by status, capability and owner");
        group.MapPost("/", AgentRegistryEndpoints.RegisterAsync).AuditedAs("register")
            .WithSummary("Register an agent; its client secret is shown once").ProducesProblem(StatusCodes.Status409Conflict).ProducesBodyProblems();
        group.MapGet("/{id}", AgentRegistryEndpoints.GetAsync).RequirePrintableQuery()
            .WithSummary("Read an agent, with its ETag").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{id}", AgentRegistryEndpoints.UpdateAsync).AuditedAs("update").RequirePrintableQuery().RequireIfMatch()
            .WithSummary("Change an agent's fields; fields left out keep their value").ProducesBodyProblems();
        group.MapPost("/{id}/suspend", AgentStatusEndpoints.SuspendAsync).AuditedAs("suspend").RequirePrintableQuery().RequireIfMatch()
            .WithSummary("Suspend an agent").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/resume", AgentStatusEndpoints.ResumeAsync).AuditedAs("resume").RequirePrintableQuery().RequireIfMatch()
            .WithSummary("Resume a suspended agent").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/revoke", AgentStatusEndpoints.RevokeAsync).AuditedAs("revoke").RequirePrintableQuery().RequireIfMatch()
            .WithSummary("Revoke an agent; it cannot be resumed");
        group.MapGet("/{id}/budget", AgentBudgetEndpoints.GetAsync).RequirePrintableQuery()
            .WithSummary("Read an agent's budgets and what is used of them").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id}/secret", AgentRegistryEndpoints.RotateSecretAsync).AuditedAs("rotate_secret").RequirePrintableQuery()
            .WithSummary("Rotate an agent's client secret; the new one is shown once").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id}/consents", AgentConsentEndpoints.ListAsync)
            .WithSummary("List users' consents to an agent").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id}/consents/{subject}", AgentConsentEndpoints.WithdrawAsync).AuditedAs("consent_withdraw").RequirePrintableQuery()
            .WithSummary("Withdraw a user's consent to an agent").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/workload-bindings", AgentWorkloadEndpoints.ListAsync).RequirePrintableQuery()
            .WithSummary("List the workloads an agent logs in as").ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{id}/workload-bindings", AgentWorkloadEndpoints.ReplaceAsync).AuditedAs("workload_bindings").RequirePrintableQuery()
            .WithSummary("Replace the workloads an agent logs in as").ProducesProblem(StatusCodes.Status404NotFound).ProducesBodyProblems();
        return group;
    }
}
