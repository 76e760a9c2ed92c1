using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The last word of the pack's APIs on a failure they did not foresee (a store down, a write refused): an RFC 9457
/// problem, 503 with <c>Retry-After</c>, and the exception in the log only, so no host exception page (which in
/// Development echoes the request headers, <c>Authorization</c> included) and no exception text reach the caller.
/// </summary>
internal static partial class ApiFailureFilter
{
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("LumoAuth.Agents.OpenIddict.Endpoints.Api");
            LogFailed(logger, http.Request.Method, (http.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText, exception);
            http.Response.Headers.RetryAfter = "5";
            return ApiProblem.Of(http, StatusCodes.Status503ServiceUnavailable, AgentErrorCodes.ApiUnavailable, "Temporarily unavailable",
                "A store this API needs could not answer; the request may not have been completed. Retry shortly.");
        }
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.ApiRequestFailed, EventName = nameof(LumoAgentsEventIds.ApiRequestFailed), Level = LogLevel.Error, Message = "{Method} {Route} failed; answered 503 api_unavailable")]
    private static partial void LogFailed(ILogger logger, string method, string? route, Exception exception);
}
