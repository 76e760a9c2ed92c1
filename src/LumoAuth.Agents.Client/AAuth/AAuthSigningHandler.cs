using System.Net;
using System.Net.Http.Headers;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.StructuredFields;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Client.AAuth;

/// <summary>
/// The one handler an agent puts on its <see cref="HttpClient"/>: every request is signed with the agent's key and
/// carries the agent token; when a resource answers 401 with an AAuth challenge, the handler takes the resource
/// token to the token server, gets a key-bound auth token, and repeats the request with it (once). Auth tokens are
/// cached per resource and refreshed before they expire.
/// </summary>
public sealed class AAuthSigningHandler : DelegatingHandler
{
    private readonly AAuthClient _client;
    private readonly IOptionsMonitor<AAuthClientOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the handler.</summary>
    public AAuthSigningHandler(AAuthClient client, IOptionsMonitor<AAuthClientOptions> options, TimeProvider time)
    {
        _client = client;
        _options = options;
        _time = time;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken);
        }

        var authority = request.RequestUri!.GetLeftPart(UriPartial.Authority);
        var held = await _client.GetCachedAuthTokenAsync(authority, cancellationToken);
        var response = await SignAndSendAsync(request, held, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !TryReadChallenge(response, out var resourceToken))
        {
            return response;
        }

        response.Dispose();
        _client.Forget(authority);
        held = await _client.GetAuthTokenAsync(authority, resourceToken, null, cancellationToken);
        return await SignAndSendAsync(request, held, cancellationToken);
    }

    private async Task<HttpResponseMessage> SignAndSendAsync(HttpRequestMessage request, HeldToken? authToken, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        var agentToken = await _client.GetAgentTokenAsync(cancellationToken);
        request.Headers.Authorization = authToken is null ? null : new AuthenticationHeaderValue("AAuth", authToken.Value);
        await AAuthRequestSigner.SignAsync(request, options.SigningKey!, agentToken.Value, options.Carrier, _time.GetUtcNow(), cancellationToken);
        return await base.SendAsync(request, cancellationToken);
    }

    private static bool TryReadChallenge(HttpResponseMessage response, out string resourceToken)
    {
        resourceToken = string.Empty;
        if (!response.Headers.TryGetValues(AgentAuthField.HeaderName, out var values) || values.FirstOrDefault() is not { } value ||
            !SfParser.TryParseItem(value, out var item) || item.Parameters["resource_token"] is not SfString { Value: var token })
        {
            return false;
        }

        resourceToken = token;
        return true;
    }
}
