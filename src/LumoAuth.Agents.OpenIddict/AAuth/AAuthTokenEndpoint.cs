using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.HttpSignatures.Verification;
using LumoAuth.Agents.OpenIddict.AAuth.Requests;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.Shared;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// The AAuth token endpoint (seed pattern 4): <c>POST .../aauth/agent/token</c> with a JSON body and a request
/// signature (RFC 9421 headers with <c>Signature-Key</c>, or the seed's <c>Agent-Auth</c>). Request types:
/// <c>agent</c> (an agent token for a registered agent signing with an enrolled key), <c>auth</c> (agent token +
/// resource token + scope → key-bound auth token), <c>refresh</c>, and <c>exchange</c> (an agent called by another
/// agent continues the chain to the next resource). Every issuance and refusal is audited before the response.
/// </summary>
/// <remarks>
/// The endpoint only orchestrates: <see cref="AAuthRequestReader"/> reads and authenticates the request, the
/// <see cref="IAAuthRequestHandler"/> of its type decides and mints, the <see cref="AuditGate"/> records the outcome,
/// and <see cref="ProtocolResponse"/> writes it, as it writes every OAuth error the pack sends itself.
/// </remarks>
internal sealed partial class AAuthTokenEndpoint
{
    private readonly AAuthRequestReader _reader;
    private readonly IEnumerable<IAAuthRequestHandler> _handlers;
    private readonly AuditTrail _trail;
    private readonly IOptionsMonitor<Configuration.LumoAgentsOptions> _agentOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<AAuthTokenEndpoint> _logger;

    /// <summary>Creates the endpoint.</summary>
    public AAuthTokenEndpoint(AAuthRequestReader reader, IEnumerable<IAAuthRequestHandler> handlers, AuditTrail trail,
        IOptionsMonitor<Configuration.LumoAgentsOptions> agentOptions, TimeProvider time, ILogger<AAuthTokenEndpoint> logger)
    {
        _reader = reader;
        _handlers = handlers;
        _trail = trail;
        _agentOptions = agentOptions;
        _time = time;
        _logger = logger;
    }

    /// <summary>The issuer of this server as seen from <paramref name="request"/>.</summary>
    public static string IssuerOf(HttpRequest request, OpenIddictServerOptions server)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(server);
        return server.Issuer?.AbsoluteUri ?? AAuthJwt.OriginOf(request);
    }

    /// <summary>Handles one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var ct = http.RequestAborted;
        var audit = new AuditContext { GrantType = "aauth", ClientIp = http.Connection.RemoteIpAddress?.ToString() };
        var (request, refusal, learned) = await _reader.ReadAsync(http, audit, ct);
        var outcome = refusal ?? await _handlers.First(h => h.RequestType == request!.Type).HandleAsync(request!, ct);
        await RespondAsync(http.Response, outcome, learned with { AudiencesRequested = outcome.Audience }, ct);
    }

    private async Task RespondAsync(HttpResponse response, AAuthOutcome outcome, AuditContext audit, CancellationToken ct)
    {
        var options = _agentOptions.CurrentValue;
        var withheld = outcome.Decision is { } decision
            ? await AuditGate.RecordAsync(_trail, decision, audit with { TokenId = outcome.TokenId }, ct)
            : await AuditGate.RecordRefusalAsync(_trail, outcome.ProtocolError!.OAuthError, outcome.ProtocolError.Description, outcome.ProtocolError.Code, audit, ct);
        if (withheld is not null)
        {
            LogAuditFailed(_logger, withheld.Exception);
            await ProtocolResponse.WriteErrorAsync(response, withheld.Status, withheld.Error, options, retryAfter: null, ct);
            return;
        }

        if (outcome.Refusal is not { } refusal)
        {
            LogIssued(_logger, audit.GrantType, audit.AgentId, outcome.TokenId);
            await ProtocolResponse.WriteAsync(response, outcome.Body!, ct);
            return;
        }

        var status = outcome.BudgetResetAt is not null ? StatusCodes.Status429TooManyRequests
            : refusal.OAuthError == OAuthErrors.InvalidClient ? StatusCodes.Status401Unauthorized : StatusCodes.Status400BadRequest;
        if (outcome.SignatureError is { } signatureError)
        {
            response.Headers[SignatureErrors.HeaderName] = signatureError;
        }

        if (status == StatusCodes.Status401Unauthorized)
        {
            // RFC 6749 section 5.2 / RFC 9110 section 15.5.2: a 401 names the scheme the client authenticates with.
            response.Headers.WWWAuthenticate = $"AAuth error=\"{refusal.OAuthError}\"";
        }

        LogRefused(_logger, audit.GrantType, refusal.Code, audit.AgentId);
        var retryAfter = outcome.BudgetResetAt is { } resetAt ? ProtocolResponse.RetryAfterSeconds(resetAt, _time.GetUtcNow()) : null;
        await ProtocolResponse.WriteErrorAsync(response, status, refusal, options, retryAfter, ct);
    }

    [LoggerMessage(EventId = LumoAgentsEventIds.AAuthTokenIssued, EventName = nameof(LumoAgentsEventIds.AAuthTokenIssued), Level = LogLevel.Information, Message = "AAuth {RequestType} issued to {AgentId} (token {TokenId})")]
    private static partial void LogIssued(ILogger logger, string requestType, string? agentId, string? tokenId);

    [LoggerMessage(EventId = LumoAgentsEventIds.AAuthTokenRefused, EventName = nameof(LumoAgentsEventIds.AAuthTokenRefused), Level = LogLevel.Information, Message = "AAuth {RequestType} refused with {Code} for {AgentId}")]
    private static partial void LogRefused(ILogger logger, string requestType, string code, string? agentId);

    [LoggerMessage(EventId = LumoAgentsEventIds.AAuthAuditFailed, EventName = nameof(LumoAgentsEventIds.AAuthAuditFailed), Level = LogLevel.Error, Message = "AAuth response withheld: the audit record could not be written")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception);
}
