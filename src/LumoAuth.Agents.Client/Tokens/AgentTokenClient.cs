using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Client;

/// <summary>
/// The agent's tokens from its token server, without writing OAuth by hand: its own token (client credentials, or a
/// workload token exchanged with no secret at all) and tokens to act for a user (RFC 8693 exchange of the user's
/// token, with the agent's own token as the actor token). Every token is cached until shortly before it expires,
/// and one request at a time is made per token. Refusals throw <see cref="AgentTokenException"/> with the OAuth error
/// and the server's stable code.
/// </summary>
public sealed partial class AgentTokenClient : IDisposable
{
    /// <summary>The name of the HTTP client used for token requests.</summary>
    public const string HttpClientName = "LumoAuth.Agents.TokenClient";

    private const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    private readonly IHttpClientFactory _http;
    private readonly IOptionsMonitor<LumoAgentClientOptions> _options;
    private readonly TimeProvider _time;
    private readonly TokenCache _cache;
    private int _requests;

    // The last DPoP nonce each server (by origin) handed out, for the next proof to it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _nonces = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the client.</summary>
    public AgentTokenClient(IHttpClientFactory http, IOptionsMonitor<LumoAgentClientOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
        _cache = new TokenCache(time, () => options.CurrentValue.RenewBeforeExpiry);
    }

    /// <summary>A client with fixed options, for code that is not an agent but needs its own token the same way (a reporting API).</summary>
    public static AgentTokenClient Create(IHttpClientFactory http, LumoAgentClientOptions options, TimeProvider time) =>
        new(http, new FixedOptions(options ?? throw new ArgumentNullException(nameof(options))), time);

    /// <summary>How many requests this client made to the token server.</summary>
    public int TokenRequests => Volatile.Read(ref _requests);

    /// <summary>
    /// The agent's own access token for <paramref name="scope"/> and <paramref name="audience"/>: an API's audience name,
    /// or a protected resource's URI (an MCP server's, say), sent as RFC 8707's <c>resource</c>.
    /// </summary>
    public async Task<string> GetAgentTokenAsync(string? scope = null, string? audience = null, CancellationToken cancellationToken = default)
    {
        var options = _options.CurrentValue;
        scope ??= options.DefaultScope;
        var held = await _cache.GetAsync($"agent|{scope}|{audience}", ct => RequestAgentTokenAsync(options, scope, audience, ct), cancellationToken);
        return held.Value;
    }

    /// <summary>
    /// A token for acting for the user whose access token is <paramref name="userToken"/> (the user consented to this
    /// agent): <c>sub</c> is the user, <c>act</c> this agent. Cached per user token, scope and audience.
    /// </summary>
    public async Task<string> GetDelegatedTokenAsync(string userToken, string? scope = null, string? audience = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userToken);
        var held = await _cache.GetAsync($"user|{Hash(userToken)}|{scope}|{audience}", async ct =>
        {
            var actorToken = await GetAgentTokenAsync(cancellationToken: ct);
            return await ExchangeAsync(userToken, TokenTypes.AccessToken, actorToken, scope, audience, ct);
        }, cancellationToken);
        return held.Value;
    }

    /// <summary>
    /// Takes a chain one hop further: exchanges <paramref name="subjectToken"/> (a token another agent holds for a user
    /// and passed to this one as its tool) with this agent's own token as the actor. Not cached.
    /// </summary>
    public async Task<string> ExchangeAsActorAsync(string subjectToken, string? scope = null, string? audience = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectToken);
        var actorToken = await GetAgentTokenAsync(cancellationToken: cancellationToken);
        return (await ExchangeAsync(subjectToken, TokenTypes.AccessToken, actorToken, scope, audience, cancellationToken)).Value;
    }

    /// <summary>
    /// For a resource server that calls another API for its caller, such as an MCP server reading from an articles API:
    /// exchanges the caller's token, with this agent as the actor (RFC 8693), for a token for <paramref name="downstream"/>
    /// (a registered resource's URI, sent as <c>resource</c> per RFC 8707, or an API's audience name, sent as
    /// <c>audience</c>). The downstream API sees the whole chain ("Articles API, used by Research MCP server, used by
    /// Research Bot, acting for Alice"); the incoming token itself is never forwarded. Cached per incoming token,
    /// downstream and scope, until the new token's expiry.
    /// </summary>
    public async Task<string> ExchangeForDownstreamAsync(string incomingToken, string downstream, string? scope = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(incomingToken);
        ArgumentException.ThrowIfNullOrEmpty(downstream);
        var held = await _cache.GetAsync($"downstream|{Hash(incomingToken)}|{downstream}|{scope}", async ct =>
        {
            var actorToken = await GetAgentTokenAsync(cancellationToken: ct);
            return await ExchangeAsync(incomingToken, TokenTypes.AccessToken, actorToken, scope, downstream, ct);
        }, cancellationToken);
        return held.Value;
    }

    /// <summary>
    /// Puts <paramref name="token"/> on <paramref name="request"/>: <c>Authorization: DPoP</c> with a new proof for this
    /// method, URI and token when the token is bound to this client's <see cref="LumoAgentClientOptions.DpopKey"/>
    /// (<c>cnf.jkt</c>), else <c>Authorization: Bearer</c>.
    /// </summary>
    public void Authorize(HttpRequestMessage request, string token)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(token);
        request.Headers.Remove("DPoP");
        if (_options.CurrentValue.DpopKey is { } key && request.RequestUri is { IsAbsoluteUri: true } uri && BoundTo(token) == key.Thumbprint)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("DPoP", token);
            request.Headers.TryAddWithoutValidation("DPoP", key.CreateProof(request.Method.Method, uri, _time.GetUtcNow(), token, NonceFor(uri)));
            return;
        }

        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The <c>cnf.jkt</c> of a JWT access token, read without validation (the resource validates it), or null.</summary>
    private static string? BoundTo(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(LumoAuth.Agents.HttpSignatures.Keys.Base64Url.Decode(parts[1]))?["cnf"]?["jkt"]?.GetValue<string>();
        }
        catch (Exception exception) when (exception is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Forgets the cached token under the same scope and audience, if it is still <paramref name="token"/>.</summary>
    public void ForgetAgentToken(string token, string? scope, string? audience) =>
        _cache.Invalidate($"agent|{scope ?? _options.CurrentValue.DefaultScope}|{audience}", token);

    /// <summary>Forgets the cached delegated token, if it is still <paramref name="token"/>.</summary>
    public void ForgetDelegatedToken(string userToken, string token, string? scope, string? audience) =>
        _cache.Invalidate($"user|{Hash(userToken)}|{scope}|{audience}", token);

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    private async Task<HeldToken> RequestAgentTokenAsync(LumoAgentClientOptions options, string? scope, string? audience, CancellationToken cancellationToken)
    {
        if (options.UsesWorkload)
        {
            var workloadToken = options.WorkloadTokenSource is { } source
                ? await source(cancellationToken)
                : (await File.ReadAllTextAsync(options.WorkloadTokenFile!, cancellationToken)).Trim();
            var form = Form(("grant_type", TokenExchange), ("subject_token", workloadToken), ("subject_token_type", options.WorkloadTokenType),
                ("subject_issuer", options.WorkloadIssuer), ("scope", scope), ("audience", AudienceName(audience)), ("resource", ResourceUri(audience)));
            return await PostAsync(options, form, cancellationToken);
        }

        return await PostAsync(options, Form(("grant_type", "client_credentials"), ("client_id", options.ClientId), ("client_secret", options.ClientSecret),
            ("scope", scope), ("audience", AudienceName(audience)), ("resource", ResourceUri(audience))), cancellationToken);
    }

    // A target written as an absolute http(s) URI is a protected resource, asked for with RFC 8707's resource parameter;
    // any other is an API's audience name.
    private static bool IsResource(string? target) =>
        Uri.TryCreate(target, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    private static string? AudienceName(string? target) => IsResource(target) ? null : target;

    private static string? ResourceUri(string? target) => IsResource(target) ? target : null;

    private async Task<HeldToken> ExchangeAsync(string subjectToken, string subjectType, string actorToken, string? scope, string? audience, CancellationToken cancellationToken)
    {
        var options = _options.CurrentValue;
        // With a secret the agent authenticates on the exchange too (RFC 8693 §5), so servers may require it.
        return await PostAsync(options, Form(("grant_type", TokenExchange), ("subject_token", subjectToken), ("subject_token_type", subjectType),
            ("actor_token", actorToken), ("actor_token_type", TokenTypes.AccessToken), ("scope", scope), ("audience", AudienceName(audience)), ("resource", ResourceUri(audience)),
            ("client_id", options.ClientSecret is null ? null : options.ClientId), ("client_secret", options.ClientSecret)), cancellationToken);
    }

    private async Task<HeldToken> PostAsync(LumoAgentClientOptions options, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        var client = _http.CreateClient(HttpClientName);
        Interlocked.Increment(ref _requests);
        HttpResponseMessage response;
        try
        {
            response = await SendTokenRequestAsync(client, options, form, timeout.Token);

            // RFC 9449 §8: a server that wants a nonce in the proof says so once, with the nonce; ask again with it.
            if (options.DpopKey is not null && response.StatusCode == System.Net.HttpStatusCode.BadRequest && TakeNonce(response, options.TokenEndpoint!) &&
                (await TokenServerResponse.ReadAsync(response, cancellationToken)).Json?["error"]?.GetValue<string>() == "use_dpop_nonce")
            {
                response.Dispose();
                response = await SendTokenRequestAsync(client, options, form, timeout.Token);
            }
        }
        catch (HttpRequestException exception)
        {
            throw new AgentTokenException($"The token server at {options.TokenEndpoint} could not be reached: {exception.Message}", exception);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AgentTokenException($"The token server at {options.TokenEndpoint} did not answer within {options.RequestTimeout.TotalSeconds} seconds.", exception);
        }

        using (response)
        {
            var (json, text) = await TokenServerResponse.ReadAsync(response, cancellationToken);
            if (!response.IsSuccessStatusCode || json?["access_token"] is not JsonValue accessToken)
            {
                throw new AgentTokenException((int)response.StatusCode, TokenServerResponse.Text(json, "error"), TokenServerResponse.Text(json, "error_code"),
                    TokenServerResponse.Description(json, text, response));
            }

            var lifetime = json["expires_in"] is JsonValue expires && expires.TryGetValue<long>(out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(1);
            return new HeldToken(accessToken.GetValue<string>(), _time.GetUtcNow() + lifetime)
            {
                Scope = json["scope"] is JsonValue scope && scope.TryGetValue<string>(out var granted) ? granted : null,
                AuthorizationDetails = json["authorization_details"] is JsonArray details ? details.ToJsonString() : null,
            };
        }
    }

    private async Task<HttpResponseMessage> SendTokenRequestAsync(HttpClient client, LumoAgentClientOptions options, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.TokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        if (options.DpopKey is { } key)
        {
            // RFC 9449 §5: a proof of the key for this token request; the token comes back bound to it.
            request.Headers.TryAddWithoutValidation("DPoP", key.CreateProof("POST", options.TokenEndpoint!, _time.GetUtcNow(), nonce: NonceFor(options.TokenEndpoint!)));
        }

        var response = await client.SendAsync(request, cancellationToken);
        TakeNonce(response, options.TokenEndpoint!);
        return response;
    }

    /// <summary>
    /// Keeps the <c>DPoP-Nonce</c> a server handed out with <paramref name="response"/> for the next proofs to its origin;
    /// true when there was one.
    /// </summary>
    public bool TakeNonce(HttpResponseMessage response, Uri requestUri)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(requestUri);
        if (!response.Headers.TryGetValues("DPoP-Nonce", out var values) || values.FirstOrDefault() is not { Length: > 0 and <= 256 } nonce)
        {
            return false;
        }

        _nonces[requestUri.GetLeftPart(UriPartial.Authority)] = nonce;
        return true;
    }

    private string? NonceFor(Uri uri) => _nonces.TryGetValue(uri.GetLeftPart(UriPartial.Authority), out var nonce) ? nonce : null;

    private static List<KeyValuePair<string, string>> Form(params (string Name, string? Value)[] fields) =>
        [.. fields.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => new KeyValuePair<string, string>(f.Name, f.Value!))];

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private sealed class FixedOptions(LumoAgentClientOptions value) : IOptionsMonitor<LumoAgentClientOptions>
    {
        public LumoAgentClientOptions CurrentValue => value;

        public LumoAgentClientOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LumoAgentClientOptions, string?> listener) => null;
    }
}
