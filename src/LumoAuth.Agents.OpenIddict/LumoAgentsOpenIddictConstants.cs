namespace LumoAuth.Agents.OpenIddict;

/// <summary>Names the OpenIddict integration uses on the wire.</summary>
public static class LumoAgentsOpenIddictConstants
{
    /// <summary>The response parameter carrying the stable refusal code beside the OAuth <c>error</c>.</summary>
    public const string ErrorCodeParameter = "error_code";

    /// <summary>The RFC 8693 §4.1 actor claim.</summary>
    public const string ActClaim = "act";

    /// <summary>The RFC 8693 §4.4 authorized-actor claim.</summary>
    public const string MayActClaim = "may_act";

    /// <summary>The RFC 9068 client identifier claim.</summary>
    public const string ClientIdClaim = "client_id";

    /// <summary>The RFC 8693 access token type identifier, the only subject and actor token type accepted for delegation.</summary>
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>The RFC 8693 generic JWT token type: a platform workload token (seed pattern 2).</summary>
    public const string JwtTokenType = "urn:ietf:params:oauth:token-type:jwt";

    /// <summary>The request parameter naming the trusted workload issuer (<c>subject_issuer=kubernetes</c>).</summary>
    public const string SubjectIssuerParameter = "subject_issuer";

    /// <summary>The RFC 7800 confirmation claim: <c>{"jkt":…}</c> on a DPoP-bound token (RFC 9449 §6.1).</summary>
    public const string ConfirmationClaim = "cnf";

    /// <summary>The RFC 9449 request header carrying a DPoP proof.</summary>
    public const string DpopHeader = "DPoP";

    /// <summary>The <c>token_type</c> of a DPoP-bound access token (RFC 9449 §5).</summary>
    public const string DpopTokenType = "DPoP";

    /// <summary>The claim recording the workload a token was issued for: <c>{"iss":…,"sub":…}</c>.</summary>
    public const string WorkloadClaim = "workload";

    /// <summary>The OpenID CIBA grant type (Core §10.1).</summary>
    public const string CibaGrantType = "urn:openid:params:grant-type:ciba";

    /// <summary>The CIBA token request's parameter naming the approval request.</summary>
    public const string AuthRequestIdParameter = "auth_req_id";

    /// <summary>The RFC 9396 parameter and claim.</summary>
    public const string AuthorizationDetailsParameter = "authorization_details";

    /// <summary>The claim naming the approval a token rests on.</summary>
    public const string ApprovalIdClaim = "approval_id";
}
