using System.Globalization;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The one writer of OAuth protocol answers the pack sends itself (the AAuth token endpoint, and the boundary that
/// answers for whatever escapes a protocol endpoint), and the owner of the rules the OpenIddict path shares with it:
/// where an <c>error_uri</c> points and how many seconds <c>Retry-After</c> names. Every answer is <c>no-store</c>
/// JSON; an error carries <c>error</c>, <c>error_description</c>, <c>error_uri</c> and the stable <c>error_code</c>.
/// </summary>
internal static class ProtocolResponse
{
    private const string JsonContentType = "application/json;charset=UTF-8";

    /// <summary>The documentation of <paramref name="code"/>: the configured error page, anchored at the code.</summary>
    public static string ErrorUri(LumoAgentsOptions options, string code)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.ErrorDocumentationUri.GetLeftPart(UriPartial.Path) + "#" + code;
    }

    /// <summary>
    /// The <c>Retry-After</c> value for a refusal that lifts at <paramref name="retryAt"/>: whole seconds, rounded up, and
    /// never 0 (a client told 0 would retry at once into the same refusal).
    /// </summary>
    public static string RetryAfterSeconds(DateTimeOffset retryAt, DateTimeOffset now) =>
        Math.Max(1, (long)Math.Ceiling((retryAt - now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes a successful answer.</summary>
    public static Task WriteAsync(HttpResponse response, JsonObject body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(body);
        return WriteJsonAsync(response, StatusCodes.Status200OK, body, cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="error"/> with <paramref name="status"/>. A refusal that lifts at a known time names it in
    /// <paramref name="retryAfter"/> (a spent budget); a 503 without one is a store that is not answering, retried
    /// after <see cref="StoreFailures.RetryAfterSeconds"/>.
    /// </summary>
    public static Task WriteErrorAsync(HttpResponse response, int status, AgentError error, LumoAgentsOptions options, string? retryAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(error);
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            // The unread rest of the body is not drained: tell the client not to reuse the connection for its next request.
            response.Headers.Connection = "close";
        }

        if (retryAfter is not null)
        {
            response.Headers.RetryAfter = retryAfter;
        }
        else if (status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = StoreFailures.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        var body = new JsonObject
        {
            ["error"] = error.OAuthError,
            ["error_description"] = error.Description,
            ["error_uri"] = ErrorUri(options, error.Code),
            ["error_code"] = error.Code,
        };
        return WriteJsonAsync(response, status, body, cancellationToken);
    }

    private static async Task WriteJsonAsync(HttpResponse response, int status, JsonObject body, CancellationToken cancellationToken)
    {
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        response.ContentType = JsonContentType;
        await response.WriteAsync(body.ToJsonString(), cancellationToken);
    }
}
