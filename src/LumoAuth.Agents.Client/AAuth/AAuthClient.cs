using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Client.AAuth;

/// <summary>
/// Talks to the token server's AAuth endpoint for an agent: gets its agent token by signing with its enrolled key,
/// exchanges resource tokens for key-bound auth tokens, and refreshes them. Tokens are held in a <see cref="TokenCache"/>
/// until shortly before they expire, and concurrent callers wait for one request instead of each making their own.
/// </summary>
public sealed class AAuthClient : IDisposable
{
    /// <summary>The name of the HTTP client <c>AddLumoAgentsAAuthClient</c> registers for the client's token requests.</summary>
    public const string HttpClientName = "LumoAuth.Agents.AAuthClient";

    private const string AgentKey = "agent";
    private readonly HttpClient _http;
    private readonly IOptionsMonitor<AAuthClientOptions> _options;
    private readonly TimeProvider _time;
    private readonly TokenCache _tokens;
    private int _tokenRequests;

    /// <summary>Creates the client over <paramref name="http"/> (which must not itself be signing).</summary>
    public AAuthClient(HttpClient http, IOptionsMonitor<AAuthClientOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
        _tokens = new TokenCache(time, () => options.CurrentValue.RenewBeforeExpiry);
    }

    /// <summary>How many requests were made to the token server (for diagnostics and tests).</summary>
    public int TokenRequests => _tokenRequests;

    /// <summary>The agent token, from cache or from the token server.</summary>
    public Task<HeldToken> GetAgentTokenAsync(CancellationToken cancellationToken) =>
        _tokens.GetAsync(AgentKey, async ct =>
        {
            var json = await PostAsync(new JsonObject { ["request_type"] = "agent", ["agent_id"] = _options.CurrentValue.AgentId }, agentToken: null, ct);
            return new HeldToken(json["agent_token"]!.GetValue<string>(), Expiry(json));
        }, cancellationToken);

    /// <summary>The cached auth token for <paramref name="resource"/> (its identifier), refreshed if it is about to expire; null when none is held.</summary>
    public async Task<HeldToken?> GetCachedAuthTokenAsync(string resource, CancellationToken cancellationToken)
    {
        var key = AuthKey(resource);
        if (!_tokens.Holds(key))
        {
            return null;
        }

        try
        {
            return await _tokens.GetAsync(key, async (stale, ct) =>
            {
                if (stale?.RefreshToken is not { } refreshToken)
                {
                    throw new AAuthException("The auth token expired and came without a refresh token.");
                }

                var agentToken = await GetAgentTokenAsync(ct);
                var json = await PostAsync(new JsonObject { ["request_type"] = "refresh", ["refresh_token"] = refreshToken }, agentToken.Value, ct);
                return new HeldToken(json["auth_token"]!.GetValue<string>(), Expiry(json), refreshToken);
            }, cancellationToken);
        }
        catch (AAuthException)
        {
            _tokens.Invalidate(key);
            return null;
        }
    }

    /// <summary>Exchanges <paramref name="resourceToken"/> (from a resource's challenge) for an auth token and caches it for <paramref name="resource"/>.</summary>
    public Task<HeldToken> GetAuthTokenAsync(string resource, string resourceToken, string? scope, CancellationToken cancellationToken) =>
        _tokens.GetAsync(AuthKey(resource), async ct =>
        {
            var agentToken = await GetAgentTokenAsync(ct);
            var body = new JsonObject { ["request_type"] = "auth", ["agent_token"] = agentToken.Value, ["resource_token"] = resourceToken };
            if (scope is not null)
            {
                body["scope"] = scope;
            }

            var json = await PostAsync(body, agentToken.Value, ct);
            return new HeldToken(json["auth_token"]!.GetValue<string>(), Expiry(json), json["refresh_token"]?.GetValue<string>());
        }, cancellationToken);

    /// <summary>Forgets the auth token held for <paramref name="resource"/> (after the resource refused it).</summary>
    public void Forget(string resource) => _tokens.Invalidate(AuthKey(resource));

    /// <summary>Signs and sends a request to the token server; throws <see cref="AAuthException"/> on refusal.</summary>
    public async Task<JsonObject> PostAsync(JsonObject body, string? agentToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var options = _options.CurrentValue;
        using var request = new HttpRequestMessage(HttpMethod.Post, options.TokenEndpoint) { Content = JsonContent.Create(body) };
        await request.Content.LoadIntoBufferAsync(cancellationToken);
        await AAuthRequestSigner.SignAsync(request, options.SigningKey ?? throw new InvalidOperationException("AAuthClientOptions.SigningKey is not set."), agentToken, options.Carrier, _time.GetUtcNow(), cancellationToken);
        Interlocked.Increment(ref _tokenRequests);
        using var response = await _http.SendAsync(request, cancellationToken);
        var (json, text) = await TokenServerResponse.ReadAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode || json is null)
        {
            throw new AAuthException((int)response.StatusCode, TokenServerResponse.Text(json, "error"), TokenServerResponse.Text(json, "error_code"),
                TokenServerResponse.Description(json, text, response), response.Headers.TryGetValues("Signature-Error", out var values) ? string.Join(", ", values) : null);
        }

        return json;
    }

    /// <inheritdoc />
    public void Dispose() => _tokens.Dispose();

    private static string AuthKey(string resource) => "auth|" + resource;

    private DateTimeOffset Expiry(JsonObject json) => _time.GetUtcNow() + TimeSpan.FromSeconds(json["expires_in"]?.GetValue<long>() ?? 60);
}
