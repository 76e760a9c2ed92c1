using Microsoft.AspNetCore.Diagnostics;

namespace LumoAuth.Agents.SampleHost.Problems;

/// <summary>
/// What the host answers when a request ends in an exception or in an error status without a body: an RFC 9457
/// problem, the same in every environment. No exception text, type or stack trace reaches the client (the developer
/// exception page would also echo the request's headers, <c>Authorization</c> included); the trace id in the problem
/// finds the full exception in the server's log.
/// </summary>
internal static class ProblemResponses
{
    /// <summary>Exception handling and status-code problems, outermost in the pipeline so they cover everything after them.</summary>
    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteExceptionAsync });
        app.UseStatusCodePages(context => WriteStatusAsync(context.HttpContext));
        return app;
    }

    private static Task WriteExceptionAsync(HttpContext http)
    {
        var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;

        // A request the framework could not read (a malformed parameter, a body that is not the JSON or form expected,
        // a form over the limits) is the client's; anything else is the server's.
        var status = exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
        var detail = status == StatusCodes.Status500InternalServerError
            ? "The server could not complete the request. Its log has the details under this trace id."
            : "The request could not be read: a parameter or the body is missing, malformed or too large.";
        return WriteAsync(http, status, detail);
    }

    private static Task WriteStatusAsync(HttpContext http) => WriteAsync(http, http.Response.StatusCode, http.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => "Nothing is served at this address.",
        StatusCodes.Status405MethodNotAllowed => "This address does not answer this method.",
        StatusCodes.Status415UnsupportedMediaType => "This endpoint does not read a body of this content type.",
        _ => null,
    });

    /// <summary>
    /// Writes the problem whatever the request's <c>Accept</c> header says: a client that asked only for HTML still
    /// gets a body that says what went wrong, never an empty one.
    /// </summary>
    public static Task WriteAsync(HttpContext http, int status, string? detail, string? title = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title,
            extensions: new Dictionary<string, object?> { ["traceId"] = System.Diagnostics.Activity.Current?.Id ?? http.TraceIdentifier })
        .ExecuteAsync(http);
}
