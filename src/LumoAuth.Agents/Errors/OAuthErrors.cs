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

    /// <summary>The client may not use this grant or endpoint (RFC 6749 §5.2, CIBA Core §13).</summary>
    public const string UnauthorizedClient = "unauthorized_client";

    /// <summary>The user has not decided yet; poll again after the interval (CIBA Core §11).</summary>
    public const string AuthorizationPending = "authorization_pending";

    /// <summary>Polled too soon; the interval grows by 5 seconds (CIBA Core §11).</summary>
    public const string SlowDown = "slow_down";

    /// <summary>The user refused (CIBA Core §11).</summary>
    public const string AccessDenied = "access_denied";

    /// <summary>The request lapsed before anyone decided (CIBA Core §11).</summary>
    public const string ExpiredToken = "expired_token";

    /// <summary>The hint names no user the server knows (CIBA Core §13).</summary>
    public const string UnknownUserId = "unknown_user_id";

    /// <summary>The binding message is missing, too long or not printable (CIBA Core §13).</summary>
    public const string InvalidBindingMessage = "invalid_binding_message";

    /// <summary>The <c>authorization_details</c> are malformed or ask for more than the client may (RFC 9396 §5).</summary>
    public const string InvalidAuthorizationDetails = "invalid_authorization_details";
}
