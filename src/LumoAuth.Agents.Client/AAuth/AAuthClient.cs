using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Client.AAuth;

/// <summary>
/// Talks to the token server's AAuth endpoint for an agent: gets its agent token by signing with its enrolled key,
/// exchanges resource tokens for key-bound auth tokens, and refreshes them. Tokens are cached until shortly before
/// they expire, and concurrent callers wait for one request instead of each making their own.
/// </summary>
public sealed class AAuthClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly IOptionsMonitor<AAuthClientOptions> _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _agentGate = new(1, 1);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _resourceGates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HeldToken> _authTokens = new(StringComparer.Ordinal);
    private HeldToken? _agentToken;

    /// <summary>Creates the client over <paramref name="http"/> (which must not itself be signing).</summary>
    public AAuthClient(HttpClient http, IOptionsMonitor<AAuthClientOptions> options, TimeProvider time)
    {
        _http = http;
        _options = options;
        _time = time;
    }

    /// <summary>How many requests were made to the token server (for diagnostics and tests).</summary>
    public int TokenRequests => _tokenRequests;

    private int _tokenRequests;

    /// <summary>The agent token, from cache or from the token server.</summary>
    public async Task<HeldToken> GetAgentTokenAsync(CancellationToken cancellationToken)
    {
        if (Fresh(_agentToken) is { } cached)
        {
            return cached;
        }

        await _agentGate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(_agentToken) is { } again)
            {
                return again;
            }

            var options = _options.CurrentValue;
            var json = await PostAsync(new JsonObject { ["request_type"] = "agent", ["agent_id"] = options.AgentId }, agentToken: null, cancellationToken);
            _agentToken = new HeldToken(json["agent_token"]!.GetValue<string>(), Expiry(json));
            return _agentToken;
        }
        finally
        {
            _agentGate.Release();
        }
    }

    /// <summary>The cached auth token for <paramref name="resource"/> (its identifier), refreshed if it is about to expire; null when none is held.</summary>
    public async Task<HeldToken?> GetCachedAuthTokenAsync(string resource, CancellationToken cancellationToken)
    {
        if (!_authTokens.TryGetValue(resource, out var held))
        {
            return null;
        }

        if (Fresh(held) is { } fresh)
        {
            return fresh;
        }

        if (held.RefreshToken is null)
        {
            return null;
        }

        var gate = _resourceGates.GetOrAdd(resource, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_authTokens.TryGetValue(resource, out var current) && Fresh(current) is { } renewed)
            {
                return renewed;
            }

            var agentToken = await GetAgentTokenAsync(cancellationToken);
            try
            {
                var json = await PostAsync(new JsonObject { ["request_type"] = "refresh", ["refresh_token"] = held.RefreshToken }, agentToken.Value, cancellationToken);
                var refreshed = new HeldToken(json["auth_token"]!.GetValue<string>(), Expiry(json), held.RefreshToken);
                _authTokens[resource] = refreshed;
                return refreshed;
            }
            catch (AAuthException)
            {
                _authTokens.TryRemove(resource, out _);
                return null;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Exchanges <paramref name="resourceToken"/> (from a resource's challenge) for an auth token and caches it for <paramref name="resource"/>.</summary>
    public async Task<HeldToken> GetAuthTokenAsync(string resource, string resourceToken, string? scope, CancellationToken cancellationToken)
    {
        var gate = _resourceGates.GetOrAdd(resource, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var agentToken = await GetAgentTokenAsync(cancellationToken);
            var body = new JsonObject { ["request_type"] = "auth", ["agent_token"] = agentToken.Value, ["resource_token"] = resourceToken };
            if (scope is not null)
            {
                body["scope"] = scope;
            }

            var json = await PostAsync(body, agentToken.Value, cancellationToken);
            var held = new HeldToken(json["auth_token"]!.GetValue<string>(), Expiry(json), json["refresh_token"]?.GetValue<string>());
            _authTokens[resource] = held;
            return held;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Forgets the auth token held for <paramref name="resource"/> (after the resource refused it).</summary>
    public void Forget(string resource) => _authTokens.TryRemove(resource, out _);

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
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonObject? json = null;
        try
        {
            json = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
        }

        if (!response.IsSuccessStatusCode || json is null)
        {
            throw new AAuthException((int)response.StatusCode, json?["error"]?.GetValue<string>(), json?["error_code"]?.GetValue<string>(),
                json?["error_description"]?.GetValue<string>() ?? text, response.Headers.TryGetValues("Signature-Error", out var values) ? string.Join(", ", values) : null);
        }

        return json;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _agentGate.Dispose();
        foreach (var gate in _resourceGates.Values)
        {
            gate.Dispose();
        }
    }

    private HeldToken? Fresh(HeldToken? token) =>
        token is not null && token.ExpiresAt - _options.CurrentValue.RenewBeforeExpiry > _time.GetUtcNow() ? token : null;

    private DateTimeOffset Expiry(JsonObject json) => _time.GetUtcNow() + TimeSpan.FromSeconds(json["expires_in"]?.GetValue<long>() ?? 60);
}
