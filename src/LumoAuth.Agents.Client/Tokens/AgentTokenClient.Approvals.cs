using System.Text.Json.Nodes;

namespace LumoAuth.Agents.Client;

/// <summary>What an agent asks a user to approve (OpenID CIBA).</summary>
public sealed record UserApprovalRequest
{
    /// <summary>The user, as the token server knows them (user name or e-mail address): CIBA's <c>login_hint</c>.</summary>
    public required string LoginHint { get; init; }

    /// <summary>What the user reads on their device, in a few words: CIBA's <c>binding_message</c>.</summary>
    public required string BindingMessage { get; init; }

    /// <summary>The capabilities to approve (space-delimited).</summary>
    public string? Scope { get; init; }

    /// <summary>Exactly what is approved (RFC 9396 <c>authorization_details</c>, a JSON array).</summary>
    public string? AuthorizationDetails { get; init; }

    /// <summary>The API the token is for: an audience name, or a protected resource's URI.</summary>
    public string? Audience { get; init; }

    /// <summary>How long the user has to decide, at most what the server allows.</summary>
    public TimeSpan? RequestedExpiry { get; init; }
}

/// <summary>A token the user approved: <c>sub</c> the user, <c>act</c> the agent, the approved scope and details.</summary>
/// <param name="AccessToken">The access token.</param>
/// <param name="ExpiresAt">When it expires.</param>
/// <param name="Scope">The granted scope.</param>
/// <param name="AuthorizationDetails">The approved RFC 9396 authorization details (JSON), if any.</param>
public sealed record ApprovedToken(string AccessToken, DateTimeOffset ExpiresAt, string? Scope, string? AuthorizationDetails);

/// <summary>Why an approval did not end in a token.</summary>
public enum ApprovalFailure
{
    /// <summary>The user said no (<c>access_denied</c>).</summary>
    Denied,

    /// <summary>Nobody decided in time (<c>expired_token</c>).</summary>
    Expired,

    /// <summary>The caller stopped waiting.</summary>
    Cancelled,
}

/// <summary>An approval asked of a user ended without a token: denied, expired or cancelled.</summary>
public sealed class UserApprovalException : AgentTokenException
{
    /// <summary>Creates the exception.</summary>
    public UserApprovalException(ApprovalFailure failure, int status, string? error, string? errorCode, string? description, Exception? inner = null)
        : base(status, error, errorCode, description, inner is null ? null : " (" + inner.Message + ")")
    {
        Failure = failure;
    }

    /// <summary>Why it ended.</summary>
    public ApprovalFailure Failure { get; }
}

public sealed partial class AgentTokenClient
{
    private const string CibaGrantType = "urn:openid:params:grant-type:ciba";

    /// <summary>
    /// Asks a user to approve an action at the token server's backchannel endpoint (OpenID CIBA, poll mode), waits for
    /// the decision by polling the token endpoint as often as the server allows (honouring <c>slow_down</c>), and returns
    /// the approved token. Throws <see cref="UserApprovalException"/> when the user denies, nobody decides in time, or
    /// <paramref name="cancellationToken"/> stops the wait; <see cref="AgentTokenException"/> when the server refuses
    /// the request itself. Needs the agent's client secret. Not cached: each approval is for one use.
    /// </summary>
    public async Task<ApprovedToken> RequestApprovalAsync(UserApprovalRequest approval, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var options = _options.CurrentValue;
        var endpoint = options.BackchannelAuthenticationEndpoint ?? new Uri(options.TokenEndpoint!, "/connect/ciba");
        var form = Form(("client_id", options.ClientId), ("client_secret", options.ClientSecret), ("login_hint", approval.LoginHint),
            ("binding_message", approval.BindingMessage), ("scope", approval.Scope), ("authorization_details", approval.AuthorizationDetails),
            ("audience", AudienceName(approval.Audience)), ("resource", ResourceUri(approval.Audience)),
            ("requested_expiry", approval.RequestedExpiry is { } expiry ? ((long)expiry.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null));

        var client = _http.CreateClient(HttpClientName);
        JsonNode? started;
        using (var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) })
        {
            if (options.DpopKey is { } key)
            {
                request.Headers.TryAddWithoutValidation("DPoP", key.CreateProof("POST", endpoint, _time.GetUtcNow(), nonce: NonceFor(endpoint)));
            }

            using var response = await client.SendAsync(request, cancellationToken);
            TakeNonce(response, endpoint);
            var (json, text) = await TokenServerResponse.ReadAsync(response, cancellationToken);
            if (!response.IsSuccessStatusCode || json?["auth_req_id"] is not JsonValue)
            {
                throw new AgentTokenException((int)response.StatusCode, TokenServerResponse.Text(json, "error"), TokenServerResponse.Text(json, "error_code"),
                    TokenServerResponse.Description(json, text, response));
            }

            started = json;
        }

        var authRequestId = started!["auth_req_id"]!.GetValue<string>();
        var interval = started["interval"] is JsonValue i && i.TryGetValue<int>(out var seconds) && seconds > 0 ? seconds : 5;
        while (true)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(interval), _time, cancellationToken);
                var held = await PostAsync(options, Form(("grant_type", CibaGrantType), ("auth_req_id", authRequestId),
                    ("client_id", options.ClientId), ("client_secret", options.ClientSecret)), cancellationToken);
                return new ApprovedToken(held.Value, held.ExpiresAt, held.Scope, held.AuthorizationDetails);
            }
            catch (AgentTokenException refused) when (refused.Error == "authorization_pending")
            {
            }
            catch (AgentTokenException refused) when (refused.Error == "slow_down")
            {
                interval += 5; // CIBA Core §11
            }
            catch (AgentTokenException refused) when (refused.Error is "access_denied" or "expired_token")
            {
                throw new UserApprovalException(refused.Error == "access_denied" ? ApprovalFailure.Denied : ApprovalFailure.Expired,
                    refused.Status, refused.Error, refused.ErrorCode, refused.Description);
            }
            catch (OperationCanceledException cancelled) when (cancellationToken.IsCancellationRequested)
            {
                throw new UserApprovalException(ApprovalFailure.Cancelled, 0, null, null, "Stopped waiting for the user's approval.", cancelled);
            }
        }
    }

    /// <summary>
    /// A token for acting for the user whose access token is <paramref name="userToken"/>, asking the user first when the
    /// scope holds a capability that needs their approval of each use: the exchange is tried, and on
    /// <c>approval_required</c> the user named by <paramref name="approval"/> is asked (see
    /// <see cref="RequestApprovalAsync"/>).
    /// </summary>
    public async Task<string> GetDelegatedTokenWithApprovalAsync(string userToken, string scope, UserApprovalRequest approval, string? audience = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        try
        {
            return await GetDelegatedTokenAsync(userToken, scope, audience, cancellationToken);
        }
        catch (AgentTokenException refused) when (refused.ErrorCode == TokenServerErrorCodes.ApprovalRequired)
        {
            return (await RequestApprovalAsync(approval with { Scope = approval.Scope ?? scope, Audience = approval.Audience ?? audience }, cancellationToken)).AccessToken;
        }
    }
}
