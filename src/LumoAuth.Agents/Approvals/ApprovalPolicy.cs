using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Subjects;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Approvals;

/// <summary>
/// Human approval of agent actions (OpenID CIBA Core 1.0, poll and ping, with RFC 9396 authorization details). Decides
/// backchannel requests, records the user's decision, and turns an approved request into a delegated token: <c>sub</c>
/// the user, <c>act</c> the agent, the approved scope and details. Every step is audited by its callers.
/// </summary>
public class ApprovalPolicy
{
    private const int MaxNotificationTokenLength = 1024;

    private readonly IAgentStore _agents;
    private readonly IApprovalStore _approvals;
    private readonly IUserDirectory _users;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the policy.</summary>
    public ApprovalPolicy(IAgentStore agents, IApprovalStore approvals, IUserDirectory users, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
    {
        _agents = agents;
        _approvals = approvals;
        _users = users;
        _options = options;
        _time = time;
    }

    /// <summary>The id under which a request is stored: the hex SHA-256 of its <c>auth_req_id</c>.</summary>
    public static string IdOf(string authRequestId)
    {
        ArgumentNullException.ThrowIfNull(authRequestId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(authRequestId)));
    }

    /// <summary>Decides a backchannel request; a granted one is stored pending.</summary>
    public virtual async ValueTask<BackchannelOutcome> StartAsync(BackchannelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = _options.CurrentValue;
        var settings = options.Approvals;
        static BackchannelOutcome Refuse(string code, string error, string description) => new(null, null, new AgentError(code, error, description));

        var agent = await _agents.FindAsync(request.AgentId, cancellationToken);
        if (agent is null)
        {
            return Refuse(AgentErrorCodes.AgentUnknown, OAuthErrors.UnauthorizedClient, $"No agent '{request.AgentId}' is registered.");
        }

        if (AgentChecks.Status(agent, OAuthErrors.UnauthorizedClient) is { } statusError)
        {
            return new BackchannelOutcome(null, null, statusError);
        }

        if (!agent.MayActForUsers)
        {
            return Refuse(AgentErrorCodes.DelegationNotAllowed, OAuthErrors.UnauthorizedClient,
                $"The agent '{agent.Id}' may not act for users: it lacks the '{AgentCapabilities.DelegateUser}' capability or its delegation rules forbid it.");
        }

        if (request.HasOtherHint || string.IsNullOrEmpty(request.LoginHint))
        {
            return Refuse(AgentErrorCodes.UserHintInvalid, OAuthErrors.InvalidRequest, request.HasOtherHint
                ? "Name the user with login_hint only; id_token_hint and login_hint_token are not supported here."
                : "The 'login_hint' parameter is missing or empty: name the user whose approval is asked.");
        }

        if (request.LoginHint.Length > 200)
        {
            return Refuse(AgentErrorCodes.UserHintInvalid, OAuthErrors.InvalidRequest, "The 'login_hint' is longer than 200 characters.");
        }

        var user = await _users.FindAsync(request.LoginHint, cancellationToken);
        if (user is null || !SubjectIdentifier.IsUser(user.Subject))
        {
            return Refuse(AgentErrorCodes.UserUnknown, OAuthErrors.UnknownUserId, "The login_hint names no user this server knows.");
        }

        var message = request.BindingMessage;
        if (string.IsNullOrEmpty(message))
        {
            if (settings.RequireBindingMessage)
            {
                return Refuse(AgentErrorCodes.BindingMessageInvalid, OAuthErrors.InvalidBindingMessage,
                    "The 'binding_message' is missing: say in a few words what the user approves, as they will see it.");
            }

            message = null;
        }
        else if (message.Length > settings.MaxBindingMessageLength || message.Any(char.IsControl) || string.IsNullOrWhiteSpace(message))
        {
            return Refuse(AgentErrorCodes.BindingMessageInvalid, OAuthErrors.InvalidBindingMessage,
                $"The 'binding_message' must be 1 to {settings.MaxBindingMessageLength} printable characters on one line.");
        }

        var lifetime = settings.RequestLifetime;
        if (request.RequestedExpiry is { } expiry)
        {
            if (!int.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > settings.MaxRequestLifetime.TotalSeconds)
            {
                return Refuse(AgentErrorCodes.RequestedExpiryInvalid, OAuthErrors.InvalidRequest,
                    $"The 'requested_expiry' must be a whole number of seconds from 1 to {(int)settings.MaxRequestLifetime.TotalSeconds}.");
            }

            lifetime = TimeSpan.FromSeconds(seconds);
        }

        // What is asked: the scope, and the capability each authorization detail's type needs.
        var requested = new List<string>(request.Scope?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(s => s != "openid") ?? []);
        string? details = null;
        if (request.AuthorizationDetails is not null)
        {
            var (normalised, capabilities, detailsError) = AuthorizationDetailsReader.Read(request.AuthorizationDetails, agent, options);
            if (detailsError is not null)
            {
                return new BackchannelOutcome(null, null, detailsError);
            }

            details = normalised;
            requested.AddRange(capabilities.Where(c => !requested.Contains(c, StringComparer.Ordinal)));
        }

        if (requested.Count == 0)
        {
            return Refuse(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest,
                "Say what is to be approved: a 'scope' of the agent's capabilities, 'authorization_details', or both.");
        }

        if (ScopeNarrowing.Check(requested,
                new ScopeNarrowing.Bound(agent.Capabilities, AgentErrorCodes.ScopeNotInCapabilities, $"the capabilities of agent '{agent.Id}'")) is { } scopeError)
        {
            return new BackchannelOutcome(null, null, scopeError);
        }

        var (audiences, audienceError) = AgentChecks.Audiences(agent, request.Audiences, options);
        if (audienceError is not null)
        {
            return new BackchannelOutcome(null, null, audienceError);
        }

        var mode = ApprovalDeliveryMode.Poll;
        if (agent.BackchannelNotificationEndpoint is not null)
        {
            if (string.IsNullOrEmpty(request.NotificationToken) || request.NotificationToken.Length > MaxNotificationTokenLength ||
                request.NotificationToken.Any(c => c is < '!' or > '~'))
            {
                return Refuse(AgentErrorCodes.NotificationTokenInvalid, OAuthErrors.InvalidRequest,
                    $"The agent is registered for ping delivery: send a 'client_notification_token' of 1 to {MaxNotificationTokenLength} printable ASCII characters.");
            }

            mode = ApprovalDeliveryMode.Ping;
        }
        else if (request.NotificationToken is not null)
        {
            return Refuse(AgentErrorCodes.NotificationTokenInvalid, OAuthErrors.InvalidRequest,
                "The agent has no notification endpoint registered (poll delivery): leave out 'client_notification_token'.");
        }

        var now = _time.GetUtcNow();
        if (await _approvals.CountPendingAsync(agent.Id, user.Subject, now, cancellationToken) >= settings.MaxPendingPerUserAndAgent)
        {
            return Refuse(AgentErrorCodes.ApprovalPendingLimit, OAuthErrors.InvalidRequest,
                $"The agent already waits on {settings.MaxPendingPerUserAndAgent} approval requests of this user; wait for a decision first.");
        }

        var authRequestId = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        var interval = Math.Max(1, (int)Math.Ceiling(settings.PollingInterval.TotalSeconds));
        var stored = new ApprovalRequest
        {
            Id = IdOf(authRequestId),
            AgentId = agent.Id,
            UserSubject = user.Subject,
            BindingMessage = message,
            Scopes = new ScopeSet(requested),
            AuthorizationDetails = details,
            Audiences = audiences,
            DeliveryMode = mode,
            NotificationToken = mode == ApprovalDeliveryMode.Ping ? request.NotificationToken : null,
            AuthRequestId = mode == ApprovalDeliveryMode.Ping ? authRequestId : null,
            KeyThumbprint = request.KeyThumbprint,
            Status = ApprovalStatus.Pending,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
            IntervalSeconds = interval,
            NextPollAt = now,
        };
        await _approvals.CreateAsync(stored, cancellationToken);
        return new BackchannelOutcome(stored, authRequestId, null);
    }

    /// <summary>
    /// Until when an approval of <paramref name="request"/> lets the agent obtain its capabilities by exchange too: the
    /// shortest lasting rule among the approval-only capabilities asked for, or <see langword="null"/> when one of them is
    /// single-use (or none needs approval).
    /// </summary>
    public virtual async ValueTask<DateTimeOffset?> ApprovalValidUntilAsync(ApprovalRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await _agents.FindAsync(request.AgentId, cancellationToken) is not { } agent)
        {
            return null;
        }

        var rules = ApprovalRule.For(agent, _options.CurrentValue.Approvals);
        var applying = request.Scopes.Where(rules.ContainsKey).Select(s => rules[s]).ToList();
        return applying.Count == 0 || applying.Any(r => r.IsSingleUse) ? null : now + applying.Min(r => r.ValidFor);
    }

    /// <summary>
    /// The token request of the CIBA grant (<c>urn:openid:params:grant-type:ciba</c>): pending, too soon, denied, expired,
    /// unknown, another client's or already redeemed are refused with their CIBA errors; an approved request becomes a
    /// delegated token and is spent. <paramref name="onStep"/> hears of the request's expiry and redemption for the audit.
    /// </summary>
    public virtual async ValueTask<IssuanceDecision> RedeemAsync(string authRequestId, string clientId, string? keyThumbprint,
        Func<string, ApprovalRequest, ValueTask> onStep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authRequestId);
        ArgumentNullException.ThrowIfNull(onStep);
        var options = _options.CurrentValue;
        var decision = new IssuanceDecision { AgentId = clientId };
        var id = IdOf(authRequestId);
        var request = await _approvals.FindAsync(id, cancellationToken);

        // Another client's auth_req_id is answered exactly as an unknown one: it tells nothing of other agents' requests.
        if (request is null || !string.Equals(request.AgentId, clientId, StringComparison.Ordinal))
        {
            return decision.Refuse(AgentErrorCodes.ApprovalUnknown, OAuthErrors.InvalidGrant, "The auth_req_id is unknown, or was not issued to this client.");
        }

        var chain = ActorChain.Empty.Push(new Actor(SubjectIdentifier.ForAgent(request.AgentId), request.AgentId));
        decision = decision with { Subject = request.UserSubject, Chain = chain, ApprovalId = request.Id };
        var now = _time.GetUtcNow();
        if (request.Status == ApprovalStatus.Pending)
        {
            if (request.IsExpiredAt(now))
            {
                if (await _approvals.ExpireAsync(id, now, cancellationToken))
                {
                    await onStep("expired", request);
                }

                return decision.Refuse(AgentErrorCodes.ApprovalExpired, OAuthErrors.ExpiredToken, "The approval request lapsed before the user decided; ask again.");
            }

            // Ping clients ask once they are told; a poll before is still counted against the interval.
            return await _approvals.TryPollAsync(id, now, cancellationToken)
                ? decision.Refuse(AgentErrorCodes.ApprovalPending, OAuthErrors.AuthorizationPending, "The user has not decided yet; poll again after the interval.")
                : decision.Refuse(AgentErrorCodes.ApprovalPolledTooSoon, OAuthErrors.SlowDown, "Polled sooner than the interval allows; the interval grew by 5 seconds.");
        }

        switch (request.Status)
        {
            case ApprovalStatus.Denied:
                return decision.Refuse(AgentErrorCodes.ApprovalDenied, OAuthErrors.AccessDenied, "The user denied the request.");
            case ApprovalStatus.Expired:
                return decision.Refuse(AgentErrorCodes.ApprovalExpired, OAuthErrors.ExpiredToken, "The approval request lapsed before the user decided; ask again.");
            case ApprovalStatus.Redeemed:
                return decision.Refuse(AgentErrorCodes.ApprovalRedeemed, OAuthErrors.InvalidGrant, "This approval was already redeemed for its token.");
        }

        var agent = await _agents.FindAsync(request.AgentId, cancellationToken);
        if (agent is null)
        {
            return decision.Refuse(AgentErrorCodes.AgentUnknown, OAuthErrors.InvalidGrant, $"No agent '{request.AgentId}' is registered.");
        }

        decision = decision with { Agent = agent, Scopes = request.Scopes, AuthorizationDetails = request.AuthorizationDetails };
        if (AgentChecks.Status(agent, OAuthErrors.InvalidGrant) is { } statusError)
        {
            return decision with { Error = statusError };
        }

        // A request proven with a DPoP key is redeemed with the same key only.
        if (request.KeyThumbprint is { } bound && !string.Equals(bound, keyThumbprint, StringComparison.Ordinal))
        {
            return decision.Refuse(AgentErrorCodes.DpopProofRequired, Dpop.DpopProofOutcome.InvalidProof,
                "The approval request was made with a DPoP key: redeem it with a proof of the same key.");
        }

        // The capabilities must still be the agent's: an approval does not outlive a change of its registration.
        if (ScopeNarrowing.Check([.. request.Scopes],
                new ScopeNarrowing.Bound(agent.Capabilities, AgentErrorCodes.ScopeNotInCapabilities, $"the capabilities of agent '{agent.Id}'")) is { } scopeError)
        {
            return decision with { Error = scopeError };
        }

        if (!await _approvals.RedeemAsync(id, cancellationToken))
        {
            return decision.Refuse(AgentErrorCodes.ApprovalRedeemed, OAuthErrors.InvalidGrant, "This approval was already redeemed for its token.");
        }

        await onStep("redeemed", request);
        var expiresAt = AgentChecks.ExpiresAt(agent, options, now, request.ApprovalValidUntil);
        return decision with { Audiences = request.Audiences, IssuedAt = now, ExpiresAt = expiresAt };
    }
}
