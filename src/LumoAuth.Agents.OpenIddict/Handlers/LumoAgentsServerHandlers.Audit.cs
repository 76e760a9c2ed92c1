using System.Collections.Immutable;
using System.Diagnostics;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.OpenIddict.Tokens;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// The record of every token request: its trace activity and duration from the first handler, and before the
    /// response leaves, the audit record of every agent issuance and every refusal, with the stable <c>error_code</c>.
    /// </summary>
    public static partial class Audit
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            BeginTokenRequest.Descriptor,
            RecordTokenResponse.Descriptor,
        ];

        /// <summary>Starts the token request's trace activity and clock, before anything can refuse it.</summary>
        public sealed class BeginTokenRequest : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            /// <summary>The descriptor: first of the pack's and OpenIddict's checks of the token request.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .UseSingletonHandler<BeginTokenRequest>()
                    .SetOrder(OpenIddictServerHandlers.Exchange.ValidateGrantType.Descriptor.Order - 4_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var state = context.Transaction.GetAgentState();
                state.StartedAt = Stopwatch.GetTimestamp();
                if (Diagnostics.AgentsTelemetry.Source.StartActivity(Diagnostics.AgentsTelemetry.TokenRequestActivity, ActivityKind.Internal) is { } activity)
                {
                    activity.SetTag("oauth.grant_type", context.Request.GrantType);
                    state.Activity = activity;
                }

                return ValueTask.CompletedTask;
            }
        }

        /// <summary>
        /// Writes the audit record of every agent issuance and every token-endpoint refusal before the response leaves,
        /// and adds the stable <c>error_code</c> to refusals. When the record cannot be written no token is released:
        /// the response becomes <c>audit_unavailable</c> (<c>server_error</c>, or <c>temporarily_unavailable</c> with
        /// <c>Retry-After</c> while the database is not answering).
        /// </summary>
        public sealed partial class RecordTokenResponse : IOpenIddictServerHandler<ApplyTokenResponseContext>
        {
            private readonly AuditTrail _trail;
            private readonly ILogger<RecordTokenResponse> _logger;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;
            private readonly TimeProvider _time;

            /// <summary>Creates the handler.</summary>
            public RecordTokenResponse(AuditTrail trail, ILogger<RecordTokenResponse> logger, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
            {
                _trail = trail;
                _logger = logger;
                _options = options;
                _time = time;
            }

            /// <summary>The descriptor: after OpenIddict normalizes the error, before it picks the status code and writes the body.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
                    .UseScopedHandler<RecordTokenResponse>()
                    .SetOrder(OpenIddictServerAspNetCoreHandlers.AttachHttpResponseCode<ApplyTokenResponseContext>.Descriptor.Order - 1_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(ApplyTokenResponseContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var decision = context.Transaction.GetAgentDecision();
                try
                {
                    await RecordAsync(context, decision);
                }
                finally
                {
                    Measure(context, decision);
                }
            }

            private async ValueTask RecordAsync(ApplyTokenResponseContext context, IssuanceDecision? decision)
            {
                var request = context.Request;
                var response = context.Response;
                if (decision is null && string.IsNullOrEmpty(response.Error))
                {
                    return; // A host issuance outside the pack (e.g. authorization code): not ours to record.
                }

                var audit = new AuditContext
                {
                    GrantType = request?.GrantType ?? string.Empty,
                    // The client that made the request: none when the actor token alone proved the agent.
                    ClientId = AgentTokenRequestState.Find(context.Transaction) is { ClientUnauthenticated: true } ? null : request?.ClientId,
                    ScopesRequested = request?.Scope,
                    AudiencesRequested = request is null ? null : string.Join(' ', [.. request.GetAudiences(), .. request.GetResources()]),
                    TokenId = TokenId(response.AccessToken),
                    ClientIp = context.Transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress?.ToString(),
                };

                if (decision is not null)
                {
                    if (decision.Error is { } sent && response.ErrorDescription is { } description)
                    {
                        decision = decision with { Error = sent with { Description = description } }; // record what was sent
                    }

                    if (await AuditGate.RecordAsync(_trail, decision, audit, context.CancellationToken) is { } withheld)
                    {
                        Withhold(context, withheld);
                    }
                    else if (decision.Error is { } error)
                    {
                        response[LumoAgentsOpenIddictConstants.ErrorCodeParameter] = error.Code;
                        LogRefused(_logger, audit.GrantType, error.Code, decision.AgentId, decision.Subject);
                    }
                    else
                    {
                        LogIssued(_logger, audit.GrantType, decision.AgentId, decision.Subject, decision.Chain.Depth, audit.TokenId);
                    }

                    return;
                }

                var code = ProtocolErrorCodes.FromError(response.Error, response.ErrorUri, request?.RequestedTokenType);
                if (await AuditGate.RecordRefusalAsync(_trail, response.Error!, response.ErrorDescription, code, audit, context.CancellationToken) is { } refused)
                {
                    Withhold(context, refused);
                    return;
                }

                response[LumoAgentsOpenIddictConstants.ErrorCodeParameter] = code;
                response.ErrorUri = ProtocolResponse.ErrorUri(_options.CurrentValue, code); // ours, not OpenIddict's
                LogRefused(_logger, audit.GrantType, code, audit.ClientId, null);
            }

            /// <summary>Replaces the whole response with the audit gate's refusal: nothing leaves unrecorded.</summary>
            private void Withhold(ApplyTokenResponseContext context, AuditWithheld withheld)
            {
                LogAuditFailed(_logger, withheld.Exception);
                var response = context.Response;
                foreach (var name in response.GetParameters().Keys.ToList())
                {
                    response.RemoveParameter(name);
                }

                response.Error = withheld.Error.OAuthError;
                response.ErrorDescription = withheld.Error.Description;
                response.ErrorUri = ProtocolResponse.ErrorUri(_options.CurrentValue, withheld.Error.Code);
                response[LumoAgentsOpenIddictConstants.ErrorCodeParameter] = withheld.Error.Code;
                if (withheld.Unavailable)
                {
                    // When the database is only unreachable, retrying helps: 503 with Retry-After (Exchange.ApplyRetryAfter).
                    context.Transaction.GetAgentState().RetryAt = _time.GetUtcNow().AddSeconds(StoreFailures.RetryAfterSeconds);
                }
            }

            private static void Measure(ApplyTokenResponseContext context, IssuanceDecision? decision)
            {
                var grantType = context.Request?.GrantType ?? "unknown";
                var refused = !string.IsNullOrEmpty(context.Response.Error);
                var code = refused ? (string?)context.Response[LumoAgentsOpenIddictConstants.ErrorCodeParameter] ?? AgentErrorCodes.ProtocolError : null;
                if (decision is null && !refused)
                {
                    return;
                }

                var grant = new KeyValuePair<string, object?>("grant_type", grantType);
                if (refused)
                {
                    Diagnostics.AgentsTelemetry.TokensRefused.Add(1, grant, new KeyValuePair<string, object?>("reason", code));
                }
                else
                {
                    Diagnostics.AgentsTelemetry.TokensIssued.Add(1, grant);
                }

                var state = AgentTokenRequestState.Find(context.Transaction);
                if (state?.StartedAt is { } timestamp)
                {
                    Diagnostics.AgentsTelemetry.TokenRequestDuration.Record(Stopwatch.GetElapsedTime(timestamp).TotalMilliseconds,
                        grant, new KeyValuePair<string, object?>("outcome", refused ? "refused" : "issued"));
                }

                if (state?.Activity is { } activity)
                {
                    activity.SetTag("lumo.agents.outcome", refused ? "refused" : "issued");
                    activity.SetTag("lumo.agents.agent_id", decision?.AgentId);
                    activity.SetTag("lumo.agents.chain_depth", decision?.Chain.Depth);
                    if (refused)
                    {
                        activity.SetTag("lumo.agents.reason", code);
                        activity.SetStatus(ActivityStatusCode.Error, code);
                    }

                    activity.Dispose();
                }
            }

            private static string? TokenId(string? accessToken)
            {
                if (string.IsNullOrEmpty(accessToken))
                {
                    return null;
                }

                try
                {
                    return new JsonWebToken(accessToken).Id;
                }
                catch (ArgumentException)
                {
                    return null;
                }
            }

            [LoggerMessage(EventId = LumoAgentsEventIds.TokenIssued, EventName = nameof(LumoAgentsEventIds.TokenIssued), Level = LogLevel.Information, Message = "Issued a {GrantType} token to agent {AgentId} for {Subject} (chain depth {Depth}, jti {TokenId}).")]
            private static partial void LogIssued(ILogger logger, string grantType, string? agentId, string? subject, int depth, string? tokenId);

            [LoggerMessage(EventId = LumoAgentsEventIds.TokenRefused, EventName = nameof(LumoAgentsEventIds.TokenRefused), Level = LogLevel.Information, Message = "Refused a {GrantType} token request: {Code} (agent {AgentId}, subject {Subject}).")]
            private static partial void LogRefused(ILogger logger, string grantType, string code, string? agentId, string? subject);

            [LoggerMessage(EventId = LumoAgentsEventIds.TokenAuditFailed, EventName = nameof(LumoAgentsEventIds.TokenAuditFailed), Level = LogLevel.Error, Message = "The audit record of a token request could not be written; the request was failed.")]
            private static partial void LogAuditFailed(ILogger logger, Exception exception);
        }
    }
}
