using System.Net;
using System.Net.Http.Headers;

namespace LumoAuth.Agents.Client;

/// <summary>Per-request settings the agent's handlers read.</summary>
public static class AgentRequestOptions
{
    /// <summary>The access token of the user the agent acts for (read by <see cref="DelegatedTokenHandler"/>).</summary>
    public static readonly HttpRequestOptionsKey<string> UserToken = new("LumoAuth.Agents.UserToken");

    /// <summary>Acts for the user whose access token is <paramref name="userToken"/> on this request.</summary>
    public static HttpRequestMessage ForUser(this HttpRequestMessage request, string userToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(userToken);
        request.Options.Set(UserToken, userToken);
        return request;
    }
}

/// <summary>
/// Sends requests with a token (as <c>DPoP</c> with a fresh proof when it is bound to the agent's key); when the resource
/// answers 401 <c>invalid_token</c>, gets a new token and sends once more. A token is never sent in cleartext: only over HTTPS, or plain HTTP to a loopback address (RFC 6750 §5.3).
/// </summary>
public abstract class AgentBearerHandlerBase : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is not { IsAbsoluteUri: true } target || (target.Scheme != Uri.UriSchemeHttps && !(target.Scheme == Uri.UriSchemeHttp && target.IsLoopback)))
        {
            throw new InvalidOperationException($"A bearer token is sent over HTTPS only (or plain HTTP on loopback); refusing to send one to {request.RequestUri}.");
        }

        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken); // so it can be sent twice
        }

        var token = await TokenAsync(request, cancellationToken);
        Authorize(request, token);
        var response = await base.SendAsync(request, cancellationToken);
        if (TakeNonce(request, response) && response.StatusCode == HttpStatusCode.Unauthorized &&
            response.Headers.WwwAuthenticate.Any(h => h.Parameter?.Contains("use_dpop_nonce", StringComparison.Ordinal) == true))
        {
            // RFC 9449 §9: the resource wants its nonce in the proof; once more with it.
            response.Dispose();
            Authorize(request, token);
            response = await base.SendAsync(request, cancellationToken);
            TakeNonce(request, response);
        }

        if (response.StatusCode != HttpStatusCode.Unauthorized || !response.Headers.WwwAuthenticate.Any(h => h.Parameter?.Contains("invalid_token", StringComparison.Ordinal) == true))
        {
            return response;
        }

        response.Dispose();
        Forget(request, token);
        Authorize(request, await TokenAsync(request, cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Keeps a <c>DPoP-Nonce</c> the resource handed out; true when there was one.</summary>
    protected virtual bool TakeNonce(HttpRequestMessage request, HttpResponseMessage response) => false;

    /// <summary>Puts the token on the request: <c>Bearer</c>, or <c>DPoP</c> with a proof for a bound token.</summary>
    protected virtual void Authorize(HttpRequestMessage request, string token)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The token for <paramref name="request"/>.</summary>
    protected abstract Task<string> TokenAsync(HttpRequestMessage request, CancellationToken cancellationToken);

    /// <summary>Forgets <paramref name="token"/>, which the resource refused.</summary>
    protected abstract void Forget(HttpRequestMessage request, string token);
}

/// <summary>Attaches the agent's own token (<c>Authorization: Bearer</c>) to every request.</summary>
public sealed class AgentTokenHandler : AgentBearerHandlerBase
{
    private readonly AgentTokenClient _tokens;
    private readonly string? _scope;
    private readonly string? _audience;

    /// <summary>Creates the handler for tokens with <paramref name="scope"/> and <paramref name="audience"/>.</summary>
    public AgentTokenHandler(AgentTokenClient tokens, string? scope = null, string? audience = null)
    {
        _tokens = tokens;
        _scope = scope;
        _audience = audience;
    }

    /// <inheritdoc />
    protected override Task<string> TokenAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _tokens.GetAgentTokenAsync(_scope, _audience, cancellationToken);

    /// <inheritdoc />
    protected override void Forget(HttpRequestMessage request, string token) => _tokens.ForgetAgentToken(token, _scope, _audience);

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, string token) => _tokens.Authorize(request, token);

    /// <inheritdoc />
    protected override bool TakeNonce(HttpRequestMessage request, HttpResponseMessage response) =>
        request.RequestUri is { IsAbsoluteUri: true } uri && _tokens.TakeNonce(response, uri);
}

/// <summary>
/// Attaches a token for acting for the user named on the request (<see cref="AgentRequestOptions.ForUser"/>): the user's
/// token exchanged for one with this agent as actor. A request without a user token is refused before it is sent.
/// </summary>
public sealed class DelegatedTokenHandler : AgentBearerHandlerBase
{
    private readonly AgentTokenClient _tokens;
    private readonly string? _scope;
    private readonly string? _audience;

    /// <summary>Creates the handler for tokens with <paramref name="scope"/> and <paramref name="audience"/>.</summary>
    public DelegatedTokenHandler(AgentTokenClient tokens, string? scope = null, string? audience = null)
    {
        _tokens = tokens;
        _scope = scope;
        _audience = audience;
    }

    /// <inheritdoc />
    protected override Task<string> TokenAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _tokens.GetDelegatedTokenAsync(UserTokenOf(request), _scope, _audience, cancellationToken);

    /// <inheritdoc />
    protected override void Forget(HttpRequestMessage request, string token) => _tokens.ForgetDelegatedToken(UserTokenOf(request), token, _scope, _audience);

    /// <inheritdoc />
    protected override void Authorize(HttpRequestMessage request, string token) => _tokens.Authorize(request, token);

    /// <inheritdoc />
    protected override bool TakeNonce(HttpRequestMessage request, HttpResponseMessage response) =>
        request.RequestUri is { IsAbsoluteUri: true } uri && _tokens.TakeNonce(response, uri);

    private static string UserTokenOf(HttpRequestMessage request) =>
        request.Options.TryGetValue(AgentRequestOptions.UserToken, out var token) && !string.IsNullOrEmpty(token)
            ? token
            : throw new InvalidOperationException("This client acts for users: name the user on each request with request.ForUser(userAccessToken).");
}
