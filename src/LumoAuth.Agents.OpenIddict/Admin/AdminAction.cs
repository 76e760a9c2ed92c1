using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>
/// The audit of one admin action, <c>admin:{name}</c>: every refusal, and the change once made, each naming the agent
/// and the caller's client and address. Endpoint metadata (<see cref="AdminConventions.AuditedAs"/>) for <see cref="ApiAuditFilter"/>.
/// </summary>
internal sealed class AdminAction(string name) : ApiAudit
{
    public override async ValueTask RefusedAsync(HttpContext http, ApiRefusal refusal) =>
        await Trail(http).RecordAdminAsync(name, refusal.AgentId ?? string.Empty,
            new AgentError(refusal.Code, OAuthErrors.InvalidRequest, refusal.Describe()), Context(http), http.RequestAborted);

    public override async ValueTask ChangedAsync(HttpContext http, string agentId) =>
        await Trail(http).RecordAdminAsync(name, agentId, null, Context(http), http.RequestAborted);

    private static AuditTrail Trail(HttpContext http) => http.RequestServices.GetRequiredService<AuditTrail>();
}

/// <summary>The admin API's endpoint conventions.</summary>
internal static class AdminConventions
{
    /// <summary>The title of a refused query of the admin API.</summary>
    public const string QueryTitle = "The query is not valid";

    /// <summary>Records the endpoint's refusals and changes as the admin action <paramref name="action"/>.</summary>
    public static RouteHandlerBuilder AuditedAs(this RouteHandlerBuilder builder, string action) => builder.WithMetadata(new AdminAction(action));

    /// <summary>For endpoints that read no query parameter: refuses control characters in the path or query.</summary>
    public static RouteHandlerBuilder RequirePrintableQuery(this RouteHandlerBuilder builder) => builder.AddEndpointFilter(ApiQuery.RequirePrintable(QueryTitle));

    /// <summary>Describes the refusals of a JSON body for OpenAPI: too large (413), not JSON (415).</summary>
    public static RouteHandlerBuilder ProducesBodyProblems(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Puts <see cref="AgentPrecondition"/> on a change of the agent named by the route's <c>id</c>.</summary>
    public static RouteHandlerBuilder RequireIfMatch(this RouteHandlerBuilder builder) => builder.AddEndpointFilter(AgentPrecondition.FilterAsync)
        .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired);

    /// <summary>
    /// The agent named by the route is unknown. Reads and most changes answer it without an audit record
    /// (<see cref="ApiRefusal.ToResult"/>), as nothing was attempted; returned as is, it is recorded.
    /// </summary>
    public static ApiRefusal AgentUnknown(string id) =>
        new(StatusCodes.Status404NotFound, AgentErrorCodes.AgentUnknown, "Unknown agent", $"No agent '{ErrorText.Echo(id)}' is registered.") { AgentId = id };

    /// <summary>The agent is revoked, so <paramref name="consequence"/>.</summary>
    public static ApiRefusal Revoked(string id, string consequence) =>
        new(StatusCodes.Status409Conflict, AgentErrorCodes.AgentRevoked, "The agent is revoked", $"Agent '{id}' is revoked; {consequence}.")
        {
            AgentId = id,
            AuditDescription = $"Agent '{id}' is revoked.",
        };
}
