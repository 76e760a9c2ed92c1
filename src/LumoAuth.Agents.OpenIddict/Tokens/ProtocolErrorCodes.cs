using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.OpenIddict.Tokens;

/// <summary>
/// Gives refusals made by OpenIddict itself (before the agent policy runs) a stable code of ours, from the
/// OpenIddict error id at the end of its <c>error_uri</c>.
/// </summary>
public static class ProtocolErrorCodes
{
    /// <summary>A presented token failed validation: bad signature, unknown key, wrong issuer or malformed.</summary>
    public const string TokenInvalid = "token_invalid";

    /// <summary>A presented token is not of the declared type (e.g. an ID or refresh token declared as an access token).</summary>
    public const string TokenTypeMismatch = "token_type_mismatch";

    /// <summary>A presented token has expired or was revoked.</summary>
    public const string TokenExpired = "token_expired";

    /// <summary>The client could not be authenticated.</summary>
    public const string ClientAuthenticationFailed = "client_authentication_failed";

    /// <summary>The requested token type is not supported.</summary>
    public const string RequestedTokenTypeUnsupported = "requested_token_type_unsupported";

    /// <summary>The grant type is not one this server supports (<c>unsupported_grant_type</c>).</summary>
    public const string GrantTypeUnsupported = "grant_type_unsupported";

    private static readonly Dictionary<string, string> ByOpenIddictId = new(StringComparer.Ordinal)
    {
        ["ID2029"] = AgentErrorCodes.ParameterMissing,
        ["ID2037"] = AgentErrorCodes.ParameterMissing,
        ["ID2004"] = TokenInvalid,
        ["ID2088"] = TokenInvalid,
        ["ID2090"] = TokenInvalid,
        ["ID2091"] = TokenInvalid,
        ["ID2008"] = TokenTypeMismatch,
        ["ID2089"] = TokenTypeMismatch,
        ["ID2018"] = TokenExpired,
        ["ID2019"] = TokenExpired,
        ["ID2013"] = TokenExpired,
        ["ID2055"] = ClientAuthenticationFailed,
        ["ID2057"] = ClientAuthenticationFailed,
    };

    /// <summary>Our code for an OpenIddict refusal, or <see cref="AgentErrorCodes.ProtocolError"/> when it has none of its own.</summary>
    /// <param name="error">The OAuth error sent.</param>
    /// <param name="errorUri">The <c>error_uri</c> OpenIddict attached, naming its own error id.</param>
    /// <param name="requestedTokenType">The request's <c>requested_token_type</c>, if it named one.</param>
    public static string FromError(string? error, string? errorUri, string? requestedTokenType)
    {
        if (error == global::OpenIddict.Abstractions.OpenIddictConstants.Errors.UnsupportedGrantType)
        {
            return GrantTypeUnsupported;
        }

        // OpenIddict's "the specified parameter is not supported" (ID2032) names no parameter in its id: a request that
        // named a token type is refused for it; anything else has no code of its own.
        if (errorUri?.EndsWith("/ID2032", StringComparison.Ordinal) == true)
        {
            return requestedTokenType is null ? AgentErrorCodes.ProtocolError : RequestedTokenTypeUnsupported;
        }

        return FromErrorUri(errorUri);
    }

    /// <summary>Our code for an OpenIddict refusal, from its <c>error_uri</c> alone.</summary>
    private static string FromErrorUri(string? errorUri)
    {
        if (errorUri is null)
        {
            return AgentErrorCodes.ProtocolError;
        }

        var fragment = errorUri.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            return errorUri[(fragment + 1)..]; // one of our own documented codes
        }

        var id = errorUri[(errorUri.LastIndexOf('/') + 1)..];
        return ByOpenIddictId.TryGetValue(id, out var code) ? code : AgentErrorCodes.ProtocolError;
    }
}
