namespace LumoAuth.Agents.Errors;

/// <summary>
/// The stable refusal codes. Each is documented in <c>docs/errors.md</c> under an anchor of the same name
/// and returned as the <c>error_code</c> response parameter next to the standard OAuth error.
/// Codes never change meaning; new ones are only added.
/// </summary>
public static class AgentErrorCodes
{
    /// <summary>A required request parameter is absent or empty (<c>invalid_request</c>).</summary>
    public const string ParameterMissing = "parameter_missing";

    /// <summary>A parameter was sent that this kind of request does not take (<c>invalid_request</c>).</summary>
    public const string ParameterNotAllowed = "parameter_not_allowed";

    /// <summary>A request parameter appears more than once (<c>invalid_request</c>).</summary>
    public const string ParameterDuplicated = "parameter_duplicated";

    /// <summary>The declared <c>subject_token_type</c> is not accepted (<c>invalid_request</c>).</summary>
    public const string SubjectTokenTypeUnsupported = "subject_token_type_unsupported";

    /// <summary>The declared <c>actor_token_type</c> is not accepted (<c>invalid_request</c>).</summary>
    public const string ActorTokenTypeUnsupported = "actor_token_type_unsupported";

    /// <summary>A delegation request carries neither an actor token nor an authenticated agent (<c>invalid_request</c>).</summary>
    public const string ActorMissing = "actor_missing";

    /// <summary>The host requires client authentication for token exchange and none was made (<c>invalid_client</c>).</summary>
    public const string ClientAuthenticationRequired = "client_authentication_required";

    /// <summary>The token request names no client and is not a delegation proven by an actor token (<c>invalid_client</c>).</summary>
    public const string ClientIdentificationRequired = "client_identification_required";

    /// <summary>The authenticated client and the actor token name different agents (<c>invalid_grant</c>).</summary>
    public const string ActorClientMismatch = "actor_client_mismatch";

    /// <summary>The subject token does not represent a user (<c>invalid_grant</c>).</summary>
    public const string SubjectNotUser = "subject_not_user";

    /// <summary>The actor token is not an agent's own token (<c>invalid_grant</c>).</summary>
    public const string ActorNotAgent = "actor_not_agent";

    /// <summary>No agent is registered under the identifier (<c>invalid_grant</c> or <c>invalid_client</c>).</summary>
    public const string AgentUnknown = "agent_unknown";

    /// <summary>The agent is suspended (<c>invalid_client</c> as a client, <c>invalid_grant</c> as an actor).</summary>
    public const string AgentSuspended = "agent_suspended";

    /// <summary>The agent is revoked (<c>invalid_client</c> as a client, <c>invalid_grant</c> as an actor).</summary>
    public const string AgentRevoked = "agent_revoked";

    /// <summary>An agent earlier in the actor chain is no longer active (<c>invalid_grant</c>).</summary>
    public const string ChainActorInactive = "chain_actor_inactive";

    /// <summary>The actor may not act for users: no <c>delegate:user</c> capability (<c>invalid_grant</c>).</summary>
    public const string DelegationNotAllowed = "delegation_not_allowed";

    /// <summary>The user never consented to this agent acting for them, or withdrew it (<c>invalid_grant</c>).</summary>
    public const string ConsentMissing = "consent_missing";

    /// <summary>The new actor is not an allowed tool of the current actor (<c>invalid_grant</c>).</summary>
    public const string ActorNotAllowedTool = "actor_not_allowed_tool";

    /// <summary>The subject token was not issued to, nor for, the presenting actor (chain splicing; <c>invalid_grant</c>).</summary>
    public const string SubjectNotBoundToActor = "subject_not_bound_to_actor";

    /// <summary>The subject token's <c>may_act</c> does not name the actor (<c>invalid_grant</c>).</summary>
    public const string MayActMismatch = "may_act_mismatch";

    /// <summary>The subject token carries both <c>may_act</c> and <c>act</c> (<c>invalid_grant</c>).</summary>
    public const string MayActWithAct = "may_act_with_act";

    /// <summary>The actor chain would exceed the allowed depth (<c>invalid_grant</c>).</summary>
    public const string ChainTooDeep = "chain_too_deep";

    /// <summary>The actor already appears in the chain (<c>invalid_grant</c>).</summary>
    public const string ActorRepeated = "actor_repeated";

    /// <summary>An <c>act</c> or <c>may_act</c> claim is not a well-formed, bounded JSON object (<c>invalid_grant</c>).</summary>
    public const string ChainMalformed = "chain_malformed";

    /// <summary>A requested scope is not a capability of the agent (<c>invalid_scope</c>).</summary>
    public const string ScopeNotInCapabilities = "scope_not_in_capabilities";

    /// <summary>A requested scope is not in the subject token (<c>invalid_scope</c>).</summary>
    public const string ScopeExceedsSubject = "scope_exceeds_subject";

    /// <summary>A requested scope was not consented by the user (<c>invalid_scope</c>).</summary>
    public const string ScopeNotConsented = "scope_not_consented";

    /// <summary>Nothing is left after narrowing the scopes (<c>invalid_scope</c>).</summary>
    public const string ScopeEmpty = "scope_empty";

    /// <summary>A scope value is not a valid RFC 6749 scope token (<c>invalid_scope</c>).</summary>
    public const string ScopeMalformed = "scope_malformed";

    /// <summary>The requested resource or audience is not an allowed tool of the agent (<c>invalid_target</c>).</summary>
    public const string TargetNotAllowed = "target_not_allowed";

    /// <summary>A token request names a <c>resource</c> that the authorization code or refresh token it redeems did not grant (RFC 8707 §2.2, <c>invalid_target</c>).</summary>
    public const string ResourceNotGranted = "resource_not_granted";

    /// <summary>
    /// The <c>client_id</c> is a client ID metadata document URL the server will not use: not https, a private address,
    /// a redirect, too large, not a valid document, or its <c>client_id</c> differs from the URL (<c>invalid_client</c>).
    /// </summary>
    public const string ClientMetadataDocumentRefused = "client_metadata_document_refused";

    /// <summary>
    /// A dynamic client registration (RFC 7591) was refused: bad metadata (<c>invalid_client_metadata</c>), redirect URIs
    /// it may not register (<c>invalid_redirect_uri</c>), or a wrong initial access token (<c>invalid_token</c>, 401).
    /// </summary>
    public const string ClientRegistrationRefused = "client_registration_refused";

    /// <summary>
    /// The DPoP proof (RFC 9449) was refused: malformed, wrong <c>typ</c> or algorithm, a private or missing key, a bad
    /// signature, another method or URI, outside its time window, replayed, or not by the key the actor token is bound to
    /// (<c>invalid_dpop_proof</c>).
    /// </summary>
    public const string DpopProofInvalid = "dpop_proof_invalid";

    /// <summary>
    /// The server requires a nonce in DPoP proofs and this one has none, or a stale or foreign one; the fresh nonce is in
    /// the <c>DPoP-Nonce</c> header (<c>use_dpop_nonce</c>).
    /// </summary>
    public const string DpopNonceRequired = "dpop_nonce_required";

    /// <summary>
    /// The agent is registered for sender-constrained tokens only (<c>require_sender_constrained_tokens</c>) and the
    /// request carried no DPoP proof (<c>invalid_dpop_proof</c>).
    /// </summary>
    public const string DpopProofRequired = "dpop_proof_required";

    /// <summary>The request names no audience and the server has no default one; RFC 9068 tokens need one (<c>invalid_target</c>).</summary>
    public const string AudienceRequired = "audience_required";

    /// <summary>A store the policy needs could not answer; nothing was issued (<c>server_error</c>).</summary>
    public const string PolicyUnavailable = "policy_unavailable";

    /// <summary>The audit record could not be written, so nothing was released (<c>server_error</c>, or <c>temporarily_unavailable</c> with <c>Retry-After</c> while the database is not answering).</summary>
    public const string AuditUnavailable = "audit_unavailable";

    /// <summary>The server's database is not answering; nothing was issued (<c>temporarily_unavailable</c>, 503 with <c>Retry-After</c>).</summary>
    public const string StoreUnavailable = "store_unavailable";

    /// <summary>
    /// A presented token (or redeemed grant) was issued before an agent it names was suspended or revoked, or before the
    /// user withdrew the consent it relies on; it stays dead after a resume or a new consent (<c>invalid_grant</c>).
    /// </summary>
    public const string TokenRevoked = "token_revoked";

    /// <summary>A presented token says it was issued in the future, beyond the allowed clock skew (<c>invalid_grant</c>; inactive at introspection).</summary>
    public const string TokenNotYetValid = "token_not_yet_valid";

    /// <summary>The request could not be read: too many form values, a body over the limit, or control characters in a parameter (<c>invalid_request</c>).</summary>
    public const string RequestUnreadable = "request_unreadable";

    /// <summary>An unexpected failure; nothing was issued and no detail is shown (<c>server_error</c>).</summary>
    public const string ServerFailure = "server_failure";

    /// <summary>The input tokens have no lifetime left to grant (<c>invalid_grant</c>).</summary>
    public const string LifetimeExhausted = "lifetime_exhausted";

    /// <summary>The token server refused the request before the agent policy ran; the OpenIddict id is kept in the description (<c>error</c> as sent).</summary>
    public const string ProtocolError = "protocol_error";

    /// <summary>A usage report reused an idempotency key already counted for a different report (HTTP 422).</summary>
    public const string IdempotencyKeyReused = "idempotency_key_reused";

    /// <summary>A resource server refused an access token (HTTP 401 <c>invalid_token</c>, or 400 <c>invalid_request</c>).</summary>
    public const string AccessTokenInvalid = "access_token_invalid";

    /// <summary>A resource server refused a valid token that lacks what the endpoint requires (HTTP 403 <c>insufficient_scope</c>).</summary>
    public const string InsufficientScope = "insufficient_scope";

    /// <summary>The agent has spent a budget; no token until its window resets (HTTP 429 with <c>Retry-After</c>).</summary>
    public const string BudgetExhausted = "budget_exhausted";

    /// <summary>Workload login: no trusted issuer has that name or that exact <c>iss</c> (<c>invalid_grant</c>).</summary>
    public const string WorkloadIssuerUnknown = "workload_issuer_unknown";

    /// <summary>Workload login: <c>subject_issuer</c> names a trust whose <c>iss</c> is not the token's (<c>invalid_grant</c>).</summary>
    public const string WorkloadIssuerMismatch = "workload_issuer_mismatch";

    /// <summary>Workload login: the token is not one compact JWS (JWE, JSON serialization, garbage) (<c>invalid_request</c>).</summary>
    public const string WorkloadTokenMalformed = "workload_token_malformed";

    /// <summary>Workload login: the token is larger than the limit (default 16 KB) (<c>invalid_request</c>).</summary>
    public const string WorkloadTokenTooLarge = "workload_token_too_large";

    /// <summary>Workload login: the token's <c>alg</c> is not allowed for its issuer (<c>invalid_grant</c>).</summary>
    public const string WorkloadAlgorithmNotAllowed = "workload_algorithm_not_allowed";

    /// <summary>Workload login: no key of the issuer has the token's <c>kid</c>, even after a refresh (<c>invalid_grant</c>).</summary>
    public const string WorkloadKeyUnknown = "workload_key_unknown";

    /// <summary>Workload login: the issuer's keys cannot be had and its last good keys are too old (<c>invalid_grant</c>).</summary>
    public const string WorkloadKeysUnavailable = "workload_keys_unavailable";

    /// <summary>Workload login: the signature does not verify with the issuer's key (<c>invalid_grant</c>).</summary>
    public const string WorkloadSignatureInvalid = "workload_signature_invalid";

    /// <summary>Workload login: the token has expired (<c>invalid_grant</c>).</summary>
    public const string WorkloadTokenExpired = "workload_token_expired";

    /// <summary>Workload login: the token is not valid yet (<c>nbf</c> or <c>iat</c> in the future) (<c>invalid_grant</c>).</summary>
    public const string WorkloadTokenNotYetValid = "workload_token_not_yet_valid";

    /// <summary>Workload login: the token is older than the issuer's maximum age, or has no <c>iat</c> (<c>invalid_grant</c>).</summary>
    public const string WorkloadTokenTooOld = "workload_token_too_old";

    /// <summary>Workload login: <c>exp - iat</c> is longer than the issuer's maximum lifetime (<c>invalid_grant</c>).</summary>
    public const string WorkloadTokenLifetimeTooLong = "workload_token_lifetime_too_long";

    /// <summary>Workload login: the token's <c>aud</c> is missing or not this server (<c>invalid_grant</c>).</summary>
    public const string WorkloadAudienceInvalid = "workload_audience_invalid";

    /// <summary>Workload login: the token failed another validation step (<c>invalid_grant</c>).</summary>
    public const string WorkloadTokenInvalid = "workload_token_invalid";

    /// <summary>Workload login: no binding maps this workload to an agent (<c>invalid_grant</c>).</summary>
    public const string WorkloadNotBound = "workload_not_bound";

    /// <summary>Workload login: bindings map this workload to more than one agent (<c>invalid_grant</c>).</summary>
    public const string WorkloadBindingAmbiguous = "workload_binding_ambiguous";

    /// <summary>The AAuth request signature was refused; <c>Signature-Error</c> says why (<c>invalid_client</c>, 401).</summary>
    public const string SignatureInvalid = "signature_invalid";

    /// <summary>The agent token is malformed, not issued here, of the wrong type, or expired (<c>invalid_grant</c>).</summary>
    public const string AgentTokenInvalid = "agent_token_invalid";

    /// <summary>The key the agent signed with is not one it enrolled (<c>invalid_client</c>, 401).</summary>
    public const string AgentKeyNotEnrolled = "agent_key_not_enrolled";

    /// <summary>The AAuth <c>request_type</c> is absent or not one of agent, auth, refresh, exchange (<c>invalid_request</c>).</summary>
    public const string RequestTypeUnsupported = "request_type_unsupported";

    /// <summary>
    /// A <c>resource</c> (RFC 8707) is not a protected resource registered here, or (AAuth) the resource token's issuer is
    /// not a resource this server knows (<c>invalid_target</c>).
    /// </summary>
    public const string ResourceUnknown = "resource_unknown";

    /// <summary>The resource token is malformed, wrongly signed, not for this server, too long-lived or expired (<c>invalid_grant</c>).</summary>
    public const string ResourceTokenInvalid = "resource_token_invalid";

    /// <summary>The resource token names another agent than the one signing (<c>invalid_grant</c>).</summary>
    public const string ResourceTokenAgentMismatch = "resource_token_agent_mismatch";

    /// <summary>The resource token names another key than the one the request is signed with (<c>invalid_grant</c>).</summary>
    public const string KeyBindingMismatch = "key_binding_mismatch";

    /// <summary>
    /// A requested scope is accepted by none of the registered resources the request names, or (AAuth) is not among those
    /// the resource token asks for (<c>invalid_scope</c>).
    /// </summary>
    public const string ScopeExceedsResource = "scope_exceeds_resource";

    /// <summary>The refresh token is malformed, not issued here, or expired (<c>invalid_grant</c>).</summary>
    public const string RefreshTokenInvalid = "refresh_token_invalid";

    /// <summary>The upstream auth token of an exchange is malformed, not issued here, expired, or not for the exchanging agent (<c>invalid_grant</c>).</summary>
    public const string UpstreamTokenInvalid = "upstream_token_invalid";

    /// <summary>An admin change was sent without <c>If-Match</c> (RFC 9457 problem, HTTP 428); nothing was changed.</summary>
    public const string PreconditionRequired = "precondition_required";

    /// <summary>An admin change carried an <c>If-Match</c> that is not the agent's current ETag (RFC 9457 problem, HTTP 412); nothing was changed.</summary>
    public const string PreconditionFailed = "precondition_failed";

    /// <summary>An agent registration, update or workload-binding change has bad fields (RFC 9457 problem, HTTP 400); nothing was written.</summary>
    public const string RegistrationInvalid = "registration_invalid";

    /// <summary>A usage report has bad fields or headers (RFC 9457 problem, HTTP 400); nothing was counted.</summary>
    public const string UsageReportInvalid = "usage_report_invalid";

    /// <summary>A registration names an id an agent or client already has (RFC 9457 problem, HTTP 409); nothing was changed.</summary>
    public const string AgentExists = "agent_exists";

    /// <summary>A JSON body carries fields the endpoint does not take, or read-only ones (RFC 9457 problem, HTTP 400).</summary>
    public const string FieldsNotAllowed = "fields_not_allowed";

    /// <summary>An access token was sent in the URL query or a form body instead of the <c>Authorization</c> header (HTTP 400 <c>invalid_request</c>).</summary>
    public const string AccessTokenNotInHeader = "access_token_not_in_header";

    /// <summary>No access token was sent to an API that needs one (HTTP 401, bare <c>Bearer</c> challenge).</summary>
    public const string AuthenticationRequired = "authentication_required";

    /// <summary>Too many refused requests without a valid token from one client IP (RFC 9457 problem, HTTP 429 with <c>Retry-After</c>).</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>Audit only: one record summing up the refusals of callers without a valid token from one IP in one window.</summary>
    public const string RefusalsAggregated = "refusals_aggregated";

    /// <summary>The request body is not well-formed JSON of the expected shape (RFC 9457 problem, HTTP 400).</summary>
    public const string BodyMalformed = "body_malformed";

    /// <summary>The request body is larger than the API reads (RFC 9457 problem, HTTP 413).</summary>
    public const string BodyTooLarge = "body_too_large";

    /// <summary>The request body is not sent as <c>application/json</c> (RFC 9457 problem, HTTP 415).</summary>
    public const string ContentTypeUnsupported = "content_type_unsupported";

    /// <summary>A query parameter or path value is malformed, out of range, repeated or holds control characters (RFC 9457 problem, HTTP 400).</summary>
    public const string QueryInvalid = "query_invalid";

    /// <summary>A store an API needs could not answer; the request may be retried (RFC 9457 problem, HTTP 503 with <c>Retry-After</c>).</summary>
    public const string ApiUnavailable = "api_unavailable";

    /// <summary>
    /// The exchange asks for a capability that needs the user's approval of each use and no approval lasts: ask the user
    /// through the backchannel authentication endpoint (OpenID CIBA) instead (<c>invalid_grant</c>).
    /// </summary>
    public const string ApprovalRequired = "approval_required";

    /// <summary>The backchannel request's hint names no user the server knows (<c>unknown_user_id</c>).</summary>
    public const string UserUnknown = "user_unknown";

    /// <summary>The backchannel request carries no hint, more than one, or one of a kind not supported (<c>invalid_request</c>).</summary>
    public const string UserHintInvalid = "user_hint_invalid";

    /// <summary>The binding message is missing, too long or has control characters (<c>invalid_binding_message</c>).</summary>
    public const string BindingMessageInvalid = "binding_message_invalid";

    /// <summary>The <c>requested_expiry</c> is not a whole number of seconds within the server's limit (<c>invalid_request</c>).</summary>
    public const string RequestedExpiryInvalid = "requested_expiry_invalid";

    /// <summary>The <c>authorization_details</c> are malformed or beyond what the agent may ask (<c>invalid_authorization_details</c>).</summary>
    public const string AuthorizationDetailsInvalid = "authorization_details_invalid";

    /// <summary>
    /// Ping delivery without a usable <c>client_notification_token</c>, or one sent by an agent with no notification
    /// endpoint (<c>invalid_request</c>).
    /// </summary>
    public const string NotificationTokenInvalid = "notification_token_invalid";

    /// <summary>The agent already holds the most pending requests allowed for this user (<c>invalid_request</c>).</summary>
    public const string ApprovalPendingLimit = "approval_pending_limit";

    /// <summary>The user has not decided yet (<c>authorization_pending</c>).</summary>
    public const string ApprovalPending = "approval_pending";

    /// <summary>The agent polled sooner than the interval allows; the interval grew (<c>slow_down</c>).</summary>
    public const string ApprovalPolledTooSoon = "approval_polled_too_soon";

    /// <summary>The user refused the request (<c>access_denied</c>).</summary>
    public const string ApprovalDenied = "approval_denied";

    /// <summary>Nobody decided before the request lapsed (<c>expired_token</c>).</summary>
    public const string ApprovalExpired = "approval_expired";

    /// <summary>The <c>auth_req_id</c> is unknown or not the client's (<c>invalid_grant</c>).</summary>
    public const string ApprovalUnknown = "approval_unknown";

    /// <summary>The approval was already redeemed for its token (<c>invalid_grant</c>).</summary>
    public const string ApprovalRedeemed = "approval_redeemed";
}
