using System.Collections.Frozen;
using System.Collections.Immutable;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The OAuth endpoints' last line: a failure that escapes OpenIddict or the pack on a token, introspection,
/// revocation, authorization or AAuth request becomes an OAuth error body instead of the host's error page (which in
/// Development prints the stack trace and echoes the request headers, <c>Authorization</c> included). An unreadable
/// request (too many form values, a body over the limit) is <c>invalid_request</c>; a database that does not answer is
/// <c>temporarily_unavailable</c> (503, <c>Retry-After</c>); anything else is <c>server_error</c>. No exception text
/// ever reaches the client; the exception is logged.
/// </summary>
internal sealed partial class ProtocolErrorBoundary
{
    private readonly IOptionsMonitor<OpenIddictServerOptions> _server;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly ProtocolEndpointPaths _extraPaths;
    private readonly ILogger<ProtocolErrorBoundary> _logger;
    private volatile EndpointPaths? _paths;

    public ProtocolErrorBoundary(IOptionsMonitor<OpenIddictServerOptions> server, IOptionsMonitor<LumoAgentsOptions> options,
        ProtocolEndpointPaths extraPaths, ILogger<ProtocolErrorBoundary> logger)
    {
        _server = server;
        _options = options;
        _extraPaths = extraPaths;
        _logger = logger;
    }

    /// <summary>
    /// Refuses, before anything else reads it, a request to a protocol endpoint whose parameters hold a control
    /// character; true when it answered.
    /// </summary>
    public async Task<bool> RefuseUnreadableAsync(HttpContext http)
    {
        // OAuth requests are small: a body over the limit is refused while it is read, not buffered.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        string? refusal = null;
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            var tooLarge = Unreadable($"The request body is larger than this endpoint accepts ({MaxBodyBytes / 1024} KB).");
            await TryAuditAsync(http, tooLarge);
            await WriteAsync(http, (413, tooLarge));
            return true;
        }

        // RFC 7662 section 2.1 and RFC 7009 section 2.1: introspection and revocation take a POST body; a token in a
        // URL ends up in logs and histories.
        if (!HttpMethods.IsPost(http.Request.Method) && TakesPostOnly(http.Request.Path))
        {
            refusal = "This endpoint takes a POST with an application/x-www-form-urlencoded body; tokens never go in the URL.";
        }
        else if (await FindControlCharacterAsync(http.Request) is { } parameter)
        {
            refusal = $"The '{parameter}' parameter holds a control character; OAuth parameters never do.";
        }

        if (refusal is null)
        {
            return false;
        }

        var error = Unreadable(refusal);
        await TryAuditAsync(http, error);
        await WriteAsync(http, (400, error));
        return true;
    }

    /// <summary>The largest request body a protocol endpoint reads: far above any OAuth or AAuth request.</summary>
    internal const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Answers <paramref name="exception"/> as an OAuth error when it escaped a protocol endpoint and nothing was sent
    /// yet. Called from this middleware and from the host's own error handling (the developer exception page and
    /// <c>UseExceptionHandler</c> catch before an outer middleware would see the exception).
    /// </summary>
    public async Task<bool> TryAnswerAsync(HttpContext http, Exception exception)
    {
        if (http.Response.HasStarted || !IsProtocolEndpoint(http.Request.Path))
        {
            return false;
        }

        await AnswerAsync(http, exception);
        return true;
    }

    internal async Task AnswerAsync(HttpContext http, Exception exception)
    {
        var answer = Classify(exception);
        if (answer.Status >= 500)
        {
            LogFailed(_logger, http.Request.Path, answer.Error.Code, exception);
        }
        else
        {
            LogUnreadable(_logger, http.Request.Path, exception);
            await TryAuditAsync(http, answer.Error);
        }

        await WriteAsync(http, answer);
    }

    /// <summary>How a failure is answered; decided by the exception's type, never its message.</summary>
    internal static (int Status, AgentError Error) Classify(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge:
                    return (413, Unreadable("The request body is larger than this endpoint accepts."));
                case BadHttpRequestException or InvalidDataException:
                    return (400, Unreadable("The request could not be read: send an application/x-www-form-urlencoded body of at most 1024 parameters."));
                case System.Text.Json.JsonException or System.Text.DecoderFallbackException:
                    return (400, Unreadable("The request body is not valid UTF-8 JSON."));
            }
        }

        if (StoreFailures.IsUnavailable(exception))
        {
            return (503, new AgentError(AgentErrorCodes.StoreUnavailable, OAuthErrors.TemporarilyUnavailable,
                "The server's database is not answering; nothing was issued. Try again shortly."));
        }

        return (500, new AgentError(AgentErrorCodes.ServerFailure, OAuthErrors.ServerError, "The server could not complete the request; nothing was issued."));
    }

    private static AgentError Unreadable(string description) => new(AgentErrorCodes.RequestUnreadable, OAuthErrors.InvalidRequest, description);

    /// <summary>
    /// The first parameter (query or form) whose name or value holds a control character: no OAuth parameter can, and
    /// a NUL byte would otherwise reach the database (PostgreSQL refuses it with an error of its own).
    /// </summary>
    private static async Task<string?> FindControlCharacterAsync(HttpRequest request)
    {
        foreach (var (name, values) in request.Query)
        {
            if (ApiQuery.HasControlCharacters(name) || values.Any(v => v is not null && ApiQuery.HasControlCharacters(v)))
            {
                return ErrorText.Echo(name);
            }
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            foreach (var (name, values) in form)
            {
                if (ApiQuery.HasControlCharacters(name) || values.Any(v => v is not null && ApiQuery.HasControlCharacters(v)))
                {
                    return ErrorText.Echo(name);
                }
            }
        }

        return null;
    }

    internal bool IsProtocolEndpoint(PathString path) =>
        path.Value is { } value && (Paths().All.Contains(value) || _extraPaths.Contains(path));

    private bool TakesPostOnly(PathString path) => path.Value is { } value && Paths().PostOnly.Contains(value);

    /// <summary>
    /// OpenIddict's endpoint paths, computed once per options instance rather than on every request (this runs before
    /// every request the host serves).
    /// </summary>
    private EndpointPaths Paths()
    {
        var server = _server.CurrentValue;
        var paths = _paths;
        if (paths is not null && ReferenceEquals(paths.Options, server))
        {
            return paths;
        }

        static IEnumerable<string> Of(IEnumerable<Uri> uris) => uris.Select(u => u.IsAbsoluteUri ? u.AbsolutePath : "/" + u.OriginalString.TrimStart('/'));
        var all = Of(server.TokenEndpointUris).Concat(Of(server.IntrospectionEndpointUris)).Concat(Of(server.RevocationEndpointUris))
            .Concat(Of(server.AuthorizationEndpointUris)).Concat(Of(server.EndSessionEndpointUris)).Concat(Of(server.UserInfoEndpointUris))
            .Concat(Of(server.DeviceAuthorizationEndpointUris)).Concat(Of(server.PushedAuthorizationEndpointUris));
        var postOnly = Of(server.IntrospectionEndpointUris).Concat(Of(server.RevocationEndpointUris));
        _paths = paths = new EndpointPaths(server, all.ToFrozenSet(StringComparer.OrdinalIgnoreCase), postOnly.ToFrozenSet(StringComparer.OrdinalIgnoreCase));
        return paths;
    }

    private sealed record EndpointPaths(OpenIddictServerOptions Options, FrozenSet<string> All, FrozenSet<string> PostOnly);

    /// <summary>Answers in place of whatever the response held so far (headers a handler set included).</summary>
    private Task WriteAsync(HttpContext http, (int Status, AgentError Error) answer)
    {
        http.Response.Clear();
        return ProtocolResponse.WriteErrorAsync(http.Response, answer.Status, answer.Error, _options.CurrentValue, retryAfter: null, http.RequestAborted);
    }

    private async Task TryAuditAsync(HttpContext http, AgentError error)
    {
        try
        {
            await http.RequestServices.GetRequiredService<AuditTrail>().RecordProtocolRefusalAsync(error.OAuthError, error.Description, error.Code,
                new AuditContext { GrantType = "request:" + http.Request.Path, ClientIp = http.Connection.RemoteIpAddress?.ToString() }, http.RequestAborted);
        }
#pragma warning disable CA1031 // The refusal is answered whether or not it could be recorded; the failure is logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogAuditFailed(_logger, exception);
        }
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.ProtocolRequestFailed, EventName = nameof(LumoAgentsEventIds.ProtocolRequestFailed), Level = LogLevel.Error, Message = "The request to {Path} failed ({Code}); an OAuth error was returned in its place.")]
    private static partial void LogFailed(ILogger logger, PathString path, string code, Exception exception);

    [LoggerMessage(EventId = LumoAgentsEventIds.ProtocolRequestUnreadable, EventName = nameof(LumoAgentsEventIds.ProtocolRequestUnreadable), Level = LogLevel.Information, Message = "The request to {Path} could not be read; refused with invalid_request.")]
    private static partial void LogUnreadable(ILogger logger, PathString path, Exception exception);

    [LoggerMessage(EventId = LumoAgentsEventIds.UnreadableRequestNotAudited, EventName = nameof(LumoAgentsEventIds.UnreadableRequestNotAudited), Level = LogLevel.Warning, Message = "The refusal of an unreadable request could not be recorded.")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception);
}

/// <summary>Paths the pack maps outside OpenIddict that answer in OAuth errors (the AAuth token endpoint).</summary>
internal sealed class ProtocolEndpointPaths
{
    private ImmutableHashSet<string> _paths = ImmutableHashSet.Create<string>(StringComparer.OrdinalIgnoreCase);

    public void Add(string path) => ImmutableInterlocked.Update(ref _paths, static (set, p) => set.Add("/" + p.TrimStart('/')), path);

    public bool Contains(PathString path) => path.Value is { } value && _paths.Contains(value);
}

/// <summary>
/// The host's error handling, for protocol endpoints, hands over to <see cref="ProtocolErrorBoundary"/>: the developer
/// exception page (which would print the stack trace and the request's headers) and <c>UseExceptionHandler</c>.
/// </summary>
internal sealed class ProtocolExceptionHandler : Microsoft.AspNetCore.Diagnostics.IExceptionHandler, Microsoft.AspNetCore.Diagnostics.IDeveloperPageExceptionFilter
{
    private readonly ProtocolErrorBoundary _boundary;

    public ProtocolExceptionHandler(ProtocolErrorBoundary boundary) => _boundary = boundary;

    public ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken) =>
        new(_boundary.TryAnswerAsync(httpContext, exception));

    public async Task HandleExceptionAsync(Microsoft.AspNetCore.Diagnostics.ErrorContext errorContext, Func<Microsoft.AspNetCore.Diagnostics.ErrorContext, Task> next)
    {
        if (!await _boundary.TryAnswerAsync(errorContext.HttpContext, errorContext.Exception))
        {
            await next(errorContext);
        }
    }
}

/// <summary>Puts <see cref="ProtocolErrorBoundary"/> first in the host's pipeline, for hosts without error handling of their own.</summary>
internal sealed class ProtocolErrorBoundaryStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var boundary = app.ApplicationServices.GetRequiredService<ProtocolErrorBoundary>();
        app.Use(async (http, inner) =>
        {
            if (!boundary.IsProtocolEndpoint(http.Request.Path))
            {
                await inner(http);
                return;
            }

            try
            {
                if (!await boundary.RefuseUnreadableAsync(http))
                {
                    await inner(http);
                }
            }
            catch (Exception exception) when (!http.Response.HasStarted && !(exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
            {
                await boundary.AnswerAsync(http, exception);
            }
        });
        next(app);
    };
}
