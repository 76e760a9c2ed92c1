using System.Text.Json.Nodes;

namespace LumoAuth.Agents.BlackBoxTests.Hosting;

/// <summary>What a refusal must look like on each kind of endpoint.</summary>
public enum Shape
{
    /// <summary>Token, introspection and AAuth endpoints: JSON with a standard <c>error</c> and an <c>error_description</c>.</summary>
    OAuthError,

    /// <summary>Admin, usage and audit APIs: an RFC 9457 <c>application/problem+json</c> with <c>title</c> and <c>status</c>.</summary>
    Problem,

    /// <summary>Introspection by an authorized caller of a token that is not valid: 200 and <c>{"active":false}</c> only.</summary>
    Inactive,

    /// <summary>
    /// The authorization endpoint: an error shown to the user (4xx with a standard error code, never a redirect), or,
    /// when the client and its redirect URI are valid, a redirect to that registered URI carrying <c>error</c>.
    /// </summary>
    AuthorizationError,

    /// <summary>The sign-in form: a page (200 or 4xx) or a redirect to a path on this host, never elsewhere.</summary>
    LocalPageOrRedirect,

    /// <summary>
    /// Refused by the web server itself before any application code runs (Kestrel answers a NUL in the URL path with a
    /// bare 400): no body to shape, and nothing of the application's in it.
    /// </summary>
    WebServerRefusal,

    /// <summary>
    /// An MCP server (streamable HTTP): 401 or 403 with a <c>Bearer</c> challenge, or a JSON-RPC error object (in JSON or
    /// in a server-sent event), or an empty 4xx from the transport.
    /// </summary>
    McpRefusal,
}

/// <summary>
/// The assertions every hostile request shares: the status is the expected one and never a 5xx, the body has the
/// endpoint's error shape, and nothing the server keeps to itself (stack traces, exception type names, SQL, secrets,
/// the credentials the caller sent) comes back in the body or the headers.
/// </summary>
public static class HostileAnswers
{
    /// <summary>The error codes RFC 6749, 6750, 7591, 7662, 8693, 9396, 9449, OpenID Connect and OpenID CIBA define.</summary>
    public static readonly IReadOnlySet<string> StandardErrors = new HashSet<string>(StringComparer.Ordinal)
    {
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
        "access_denied", "unsupported_response_type", "server_error", "temporarily_unavailable", "invalid_target",
        "invalid_token", "insufficient_scope", "unsupported_token_type", "invalid_dpop_proof", "use_dpop_nonce",
        "interaction_required", "login_required", "account_selection_required", "consent_required", "invalid_request_uri",
        "invalid_request_object", "request_not_supported", "request_uri_not_supported", "registration_not_supported",
        "invalid_client_metadata", "invalid_redirect_uri", "invalid_authorization_details",
        "authorization_pending", "slow_down", "expired_token", "unknown_user_id", "invalid_binding_message", "invalid_user_code",
    };

    /// <summary>Text that betrays the server's insides.</summary>
    public static readonly IReadOnlyList<string> InternalsMarkers =
    [
        "   at ", ".cs:line", "Exception", "Npgsql", "System.", "Microsoft.", "SELECT ", "INSERT ", "SQLite Error",
    ];

    /// <summary>The reflected-markup probe the hostile cases send.</summary>
    public const string Markup = "<script>alert('lumo')</script>";

    /// <summary>Asserts the shape, the status and the absence of leaks, reporting every failure at once.</summary>
    public static void AssertRefusal(Answer answer, Shape shape, IReadOnlyCollection<int> statuses, IEnumerable<string> secrets,
        IReadOnlyCollection<string>? errors = null, Uri? registeredRedirect = null, Uri? self = null)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(statuses);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer.Status, Is.LessThan(500), $"a hostile input is the client's fault, never a server error: {answer.Summary}");
            Assert.That(statuses, Does.Contain(answer.Status), $"status: {answer.Summary}");
            switch (shape)
            {
                case Shape.OAuthError:
                    AssertOAuthError(answer, errors);
                    break;
                case Shape.Problem:
                    AssertProblem(answer);
                    break;
                case Shape.Inactive:
                    AssertInactive(answer);
                    break;
                case Shape.AuthorizationError:
                    AssertAuthorizationError(answer, errors, registeredRedirect);
                    break;
                case Shape.LocalPageOrRedirect:
                    AssertLocalPageOrRedirect(answer, self);
                    break;
                case Shape.WebServerRefusal:
                    Assert.That(answer.Status, Is.EqualTo(400), "the web server's own refusal");
                    break;
                case Shape.McpRefusal:
                    AssertMcpRefusal(answer);
                    break;
            }

            AssertNoLeak(answer, secrets);
        }
    }

    /// <summary>JSON with a standard <c>error</c> (one of <paramref name="errors"/> when given) and an <c>error_description</c>.</summary>
    public static void AssertOAuthError(Answer answer, IReadOnlyCollection<string>? errors = null)
    {
        ArgumentNullException.ThrowIfNull(answer);
        Assert.That(answer.MediaType, Is.EqualTo("application/json"), $"an OAuth error is JSON: {answer.Summary}");
        var json = answer.Json;
        Assert.That(json, Is.Not.Null, $"an OAuth error body is a JSON object: {answer.Summary}");
        if (json is null)
        {
            return;
        }

        var error = Text(json, "error");
        Assert.That(error, Is.Not.Null.And.Not.Empty, $"'error' is present: {answer.Summary}");
        if (error is not null)
        {
            Assert.That(StandardErrors, Does.Contain(error), $"'error' is a standard code: {answer.Summary}");
            if (errors is not null)
            {
                Assert.That(errors, Does.Contain(error), $"'error' is the expected one: {answer.Summary}");
            }
        }

        Assert.That(Text(json, "error_description"), Is.Not.Null.And.Not.Empty, $"'error_description' says what is wrong: {answer.Summary}");
    }

    /// <summary>An MCP server's refusal: a Bearer challenge on 401/403, else a JSON-RPC error (JSON or SSE) or no body.</summary>
    public static void AssertMcpRefusal(Answer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Status is 401 or 403)
        {
            Assert.That(answer.Header("WWW-Authenticate"), Does.StartWith("Bearer"), $"RFC 6750 §3 challenge: {answer.Summary}");
            return;
        }

        var text = answer.Body.Trim();
        if (text.Length == 0)
        {
            Assert.That(answer.Status, Is.InRange(400, 499), $"an empty answer is a transport refusal: {answer.Summary}");
            return;
        }

        // A server-sent event carries the JSON-RPC message on its data line.
        var data = text.StartsWith("event:", StringComparison.Ordinal) || text.StartsWith("data:", StringComparison.Ordinal)
            ? string.Concat(text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()))
            : text;
        JsonNode? message = null;
        try
        {
            message = JsonNode.Parse(data);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        Assert.That(message, Is.Not.Null, $"a JSON-RPC message: {answer.Summary}");
        if (message?["error"] is JsonValue oauth && oauth.TryGetValue<string>(out var code))
        {
            // The resource server's own refusal of the request, before MCP: a standard OAuth error.
            Assert.That(StandardErrors, Does.Contain(code), $"a standard error code: {answer.Summary}");
            return;
        }

        var error = message?["error"];
        var isError = message?["result"]?["isError"]?.GetValueKind() == System.Text.Json.JsonValueKind.True;
        Assert.That(error is JsonObject || isError, Is.True, $"a JSON-RPC error or a tool error: {answer.Summary}");
        if (error is JsonObject)
        {
            Assert.That(error["code"]?.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.Number), $"the error has a code: {answer.Summary}");
            Assert.That(Text((JsonObject)error, "message"), Is.Not.Null.And.Not.Empty, $"the error says what is wrong: {answer.Summary}");
        }
    }

    /// <summary>An RFC 9457 problem: <c>application/problem+json</c> with a <c>title</c> and the response's <c>status</c>.</summary>
    public static void AssertProblem(Answer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        Assert.That(answer.MediaType, Is.EqualTo("application/problem+json"), $"an RFC 9457 problem: {answer.Summary}");
        var json = answer.Json;
        Assert.That(json, Is.Not.Null, $"a problem is a JSON object: {answer.Summary}");
        if (json is null)
        {
            return;
        }

        Assert.That(Text(json, "title"), Is.Not.Null.And.Not.Empty, $"the problem has a title: {answer.Summary}");
        Assert.That(json["status"] is JsonValue status && status.TryGetValue<int>(out var value) ? value : (int?)null, Is.EqualTo(answer.Status),
            $"the problem's status is the response's: {answer.Summary}");
    }

    /// <summary>200 and <c>{"active":false}</c> with no claim about the token.</summary>
    public static void AssertInactive(Answer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var json = answer.Json;
        Assert.That(json, Is.Not.Null, $"introspection answers JSON: {answer.Summary}");
        if (json is null)
        {
            return;
        }

        Assert.That(json["active"]?.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.False), $"the token is inactive: {answer.Summary}");
        Assert.That(json.Select(p => p.Key).Where(k => k != "active"), Is.Empty, $"nothing but 'active' is said of an invalid token (RFC 7662 §2.2): {answer.Summary}");
    }

    /// <summary>
    /// A local error (4xx, JSON or text naming a standard error, no redirect), or a redirect to the registered
    /// redirect URI with an <c>error</c> parameter.
    /// </summary>
    public static void AssertAuthorizationError(Answer answer, IReadOnlyCollection<string>? errors, Uri? registeredRedirect)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var location = answer.Header("Location");
        if (answer.Status is >= 300 and < 400)
        {
            Assert.That(registeredRedirect, Is.Not.Null, $"this request must not be redirected anywhere: {answer.Summary}");
            Assert.That(location, Is.Not.Null, $"a redirect names its target: {answer.Summary}");
            if (registeredRedirect is null || location is null)
            {
                return;
            }

            var target = new Uri(registeredRedirect, location);
            Assert.That(target.GetLeftPart(UriPartial.Path), Is.EqualTo(registeredRedirect.AbsoluteUri),
                $"an authorization error goes to the client's registered redirect URI only: {answer.Summary}");
            var error = System.Web.HttpUtility.ParseQueryString(target.Query)["error"];
            Assert.That(error, Is.Not.Null, $"the redirect carries an error, not a sign-in or a code: {answer.Summary}");
            if (error is not null)
            {
                Assert.That(StandardErrors, Does.Contain(error), $"a standard error code: {answer.Summary}");
                if (errors is not null)
                {
                    Assert.That(errors, Does.Contain(error), $"the expected error: {answer.Summary}");
                }
            }

            return;
        }

        Assert.That(answer.Status, Is.InRange(400, 499), $"an error shown to the user: {answer.Summary}");
        var code = answer.Json is { } json ? Text(json, "error") : StandardErrors.FirstOrDefault(e => answer.Body.Contains(e, StringComparison.Ordinal));
        Assert.That(code, Is.Not.Null, $"the page names a standard error: {answer.Summary}");
        if (errors is not null && code is not null)
        {
            Assert.That(errors, Does.Contain(code), $"the expected error: {answer.Summary}");
        }
    }

    /// <summary>
    /// A page (2xx or 4xx), or a redirect whose target is a path on this host (not <c>//host</c> or <c>/\host</c>) or
    /// an absolute URI on <paramref name="self"/>'s origin.
    /// </summary>
    public static void AssertLocalPageOrRedirect(Answer answer, Uri? self = null)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.Status is >= 300 and < 400)
        {
            var location = answer.Header("Location") ?? string.Empty;
            var sameOrigin = self is not null && Uri.TryCreate(location, UriKind.Absolute, out var absolute) &&
                             absolute.GetLeftPart(UriPartial.Authority) == self.GetLeftPart(UriPartial.Authority) && !location.Any(char.IsControl);
            Assert.That(sameOrigin || IsLocalPath(location), Is.True, $"a redirect stays on this host: {answer.Summary}");
            return;
        }

        Assert.That(answer.Status, Is.InRange(200, 499), $"a page: {answer.Summary}");
    }

    /// <summary>
    /// Whether a Location value is a path on the same host as a browser resolves it: browsers read <c>/\</c> as
    /// <c>//</c> and drop tabs and line breaks, so those lead elsewhere; percent-encoded slashes stay in the path.
    /// </summary>
    public static bool IsLocalPath(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var browserView = new string([.. location.Where(c => !char.IsControl(c))]).Replace('\\', '/');
        return browserView.StartsWith('/') && !browserView.StartsWith("//", StringComparison.Ordinal) && !location.Any(char.IsControl);
    }

    /// <summary>No stack trace, exception type, SQL, secret or reflected markup in the body or any header.</summary>
    public static void AssertNoLeak(Answer answer, IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(secrets);
        var places = answer.Headers.Select(h => ($"header {h.Key}", h.Value)).Append(("body", answer.Body)).ToList();
        foreach (var (place, text) in places)
        {
            foreach (var marker in InternalsMarkers)
            {
                Assert.That(text, Does.Not.Contain(marker), $"the {place} shows the server's insides ('{marker}'): {answer.Summary}");
            }

            foreach (var secret in secrets.Where(s => s.Length >= 8).Distinct(StringComparer.Ordinal))
            {
                Assert.That(text, Does.Not.Contain(secret), $"the {place} shows a secret or the caller's credentials ({secret[..6]}…): {answer.Summary}");
            }

            Assert.That(text, Does.Not.Contain("<script").IgnoreCase, $"the {place} reflects markup unescaped: {answer.Summary}");
        }
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
