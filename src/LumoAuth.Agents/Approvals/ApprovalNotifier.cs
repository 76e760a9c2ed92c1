using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LumoAuth.Agents.Approvals;

/// <summary>
/// CIBA ping delivery (Core §10.2): tells an agent's registered notification endpoint that a request was decided, with
/// the request's <c>client_notification_token</c> as bearer token and its <c>auth_req_id</c> in a JSON body. No redirects
/// are followed and the call gives up after 5 seconds; a failed ping changes nothing, the agent can still poll.
/// </summary>
public sealed partial class ApprovalNotifier : IDisposable
{
    private readonly HttpClient _http;
    private readonly ILogger<ApprovalNotifier> _logger;

    /// <summary>Creates the notifier.</summary>
    public ApprovalNotifier(ILogger<ApprovalNotifier> logger)
    {
        _logger = logger;
        // Its own client, as the guarded document fetcher has: no redirects, a short timeout, whatever the host's defaults.
#pragma warning disable RS0030
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };
#pragma warning restore RS0030
    }

    /// <summary>Pings <paramref name="endpoint"/> about <paramref name="request"/>; true when it answered with a success status.</summary>
    public async Task<bool> PingAsync(Uri endpoint, ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(request);
        if (request.NotificationToken is null || request.AuthRequestId is null)
        {
            return false;
        }

        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, endpoint)
            {
                Content = JsonContent.Create(new JsonObject { ["auth_req_id"] = request.AuthRequestId }),
            };
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.NotificationToken);
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogPingRefused(_logger, request.AgentId, (int)response.StatusCode);
            }

            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogPingFailed(_logger, request.AgentId, exception);
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    [LoggerMessage(EventId = LumoAgentsEventIds.ApprovalPingRefused, EventName = nameof(LumoAgentsEventIds.ApprovalPingRefused), Level = LogLevel.Warning, Message = "The approval ping to agent '{AgentId}' was answered {Status}; the agent can still poll.")]
    private static partial void LogPingRefused(ILogger logger, string agentId, int status);

    [LoggerMessage(EventId = LumoAgentsEventIds.ApprovalPingFailed, EventName = nameof(LumoAgentsEventIds.ApprovalPingFailed), Level = LogLevel.Warning, Message = "The approval ping to agent '{AgentId}' failed; the agent can still poll.")]
    private static partial void LogPingFailed(ILogger logger, string agentId, Exception exception);
}
