using System.Text.Json.Nodes;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.Diagnostics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.AspNetCore.Authorization;

/// <summary>Checks every <see cref="IAgentCallerRequirement"/> of a policy against the request's <see cref="AgentCaller"/>.</summary>
internal sealed class AgentCallerAuthorizationHandler : IAuthorizationHandler
{
    /// <inheritdoc />
    public async Task HandleAsync(AuthorizationHandlerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requirements = context.PendingRequirements.OfType<IAgentCallerRequirement>().ToList();
        if (requirements.Count == 0)
        {
            return;
        }

        var http = context.Resource as HttpContext ?? (context.Resource as Microsoft.AspNetCore.Mvc.Filters.AuthorizationFilterContext)?.HttpContext;
        var caller = http is not null ? http.GetAgentCaller() : context.User.GetAgentCaller();
        if (caller is null)
        {
            context.Fail(new AuthorizationFailureReason(this, "an access token from the token server"));
            return;
        }

        var services = http?.RequestServices ?? EmptyServices.Instance;
        var cancellationToken = http?.RequestAborted ?? CancellationToken.None;
        foreach (var requirement in requirements)
        {
            if (await requirement.CheckAsync(caller, services, cancellationToken) is { } missing)
            {
                context.Fail(new AuthorizationFailureReason(this, missing));
            }
            else
            {
                context.Succeed(requirement);
            }
        }
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>
/// Answers a request refused by an agent requirement with 403 and
/// <c>WWW-Authenticate: Bearer error="insufficient_scope"</c> (RFC 6750 §3.1) naming what was missing; everything
/// else is left to the default handler (401 challenges, other policies).
/// </summary>
internal sealed partial class AgentAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();
    private readonly ILogger<AgentAuthorizationResultHandler> _logger;
    private readonly IOptionsMonitor<LumoAgentsBearerOptions> _bearer;

    /// <summary>Creates the handler.</summary>
    public AgentAuthorizationResultHandler(ILogger<AgentAuthorizationResultHandler> logger, IOptionsMonitor<LumoAgentsBearerOptions> bearer)
    {
        _logger = logger;
        _bearer = bearer;
    }

    /// <inheritdoc />
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Where(r => r.Handler is AgentCallerAuthorizationHandler).Select(r => r.Message).ToList();
        if (authorizeResult.Forbidden && reasons is { Count: > 0 })
        {
            var caller = context.GetAgentCaller();
            var description = $"This request needs {string.Join("; and ", reasons)}.";
            var who = caller?.Describe() ?? "(unknown caller)";
            LogForbidden(_logger, who, description);
            var scopes = policy.Requirements.OfType<AgentCapabilitiesRequirement>().SelectMany(r => r.Capabilities).Distinct(StringComparer.Ordinal).ToList();
            await ResourceAudit.RecordRefusalAsync(context, "insufficient_scope", LumoAuth.Agents.Errors.AgentErrorCodes.InsufficientScope, description, caller);
            // The scheme that authenticated the caller names the resource whose metadata the client should read.
            var resource = context.User.Identity?.AuthenticationType is { } scheme ? _bearer.Get(scheme).Resource : null;
            await AgentForbiddenResponse.WriteAsync(context, description, scopes.Count > 0 ? string.Join(' ', scopes) : null, resource);
            return;
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.CallerForbidden, EventName = nameof(LumoAgentsEventIds.CallerForbidden), Level = LogLevel.Information, Message = "Refused {Caller}: {Description}")]
    private static partial void LogForbidden(ILogger logger, string caller, string description);
}

/// <summary>The RFC 6750 <c>insufficient_scope</c> answer.</summary>
internal static class AgentForbiddenResponse
{
    /// <summary>
    /// Writes 403 with the <c>WWW-Authenticate</c> challenge and a JSON body naming what was missing: the
    /// <c>scope</c> to step up to (RFC 6750 §3) and, for a resource with an identifier, its <c>resource_metadata</c>
    /// (RFC 9728 §5.1).
    /// </summary>
    public static Task WriteAsync(HttpContext http, string description, string? scope, Uri? resource)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(description);
        http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", error_description=\"{OAuthErrorResponse.Quote(description)}\"" +
            (scope is null ? string.Empty : $", scope=\"{OAuthErrorResponse.Quote(scope)}\"") +
            (resource is null ? string.Empty : $", resource_metadata=\"{ProtectedResourceMetadata.AddressOf(resource).AbsoluteUri}\"");
        return OAuthErrorResponse.WriteAsync(http, StatusCodes.Status403Forbidden, "insufficient_scope", description, scope is null ? null : new JsonObject { ["scope"] = scope });
    }
}
