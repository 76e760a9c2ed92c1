namespace LumoAuth.Agents.Errors;

/// <summary>The standard OAuth 2.0 error values (RFC 6749 §5.2, RFC 8693 §2.2.2) our refusals use on the wire.</summary>
public static class OAuthErrors
{
    /// <summary>The request is missing, repeats or malforms a parameter.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>Client authentication failed or the client may not be used.</summary>
    public const string InvalidClient = "invalid_client";

    /// <summary>The grant (here: a presented token or the delegation it asks for) is not acceptable.</summary>
    public const string InvalidGrant = "invalid_grant";

    /// <summary>The requested scope exceeds what may be granted.</summary>
    public const string InvalidScope = "invalid_scope";

    /// <summary>The requested resource or audience may not be targeted (RFC 8693 §2.2.2).</summary>
    public const string InvalidTarget = "invalid_target";

    /// <summary>The request is sound but cannot be granted now; try again later (an exhausted budget, sent with HTTP 429 and <c>Retry-After</c>).</summary>
    public const string TemporarilyUnavailable = "temporarily_unavailable";

    /// <summary>The server failed to complete the request.</summary>
    public const string ServerError = "server_error";
}
