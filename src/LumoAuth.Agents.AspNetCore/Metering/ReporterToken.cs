using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.AspNetCore.Metering;

/// <summary>
/// The API's own <c>agents:usage</c> token for reporting calls to a token server it does not share a store with: one
/// client-credentials token, held until shortly before it expires and fetched by one caller at a time. The resource
/// package keeps this small request to itself rather than depending on the agent-side client package.
/// </summary>
internal sealed class ReporterToken : IDisposable
{
    private static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly IHttpClientFactory _http;
    private readonly string _httpClientName;
    private readonly TimeProvider _time;
    private readonly Uri _tokenEndpoint;
    private readonly string _clientId;
    private readonly string _clientSecret;
    private readonly string _scope;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private (string Value, DateTimeOffset RenewAt)? _held;

    public ReporterToken(IHttpClientFactory http, string httpClientName, TimeProvider time, ApiCallMeteringOptions options, string scope)
    {
        _http = http;
        _httpClientName = httpClientName;
        _time = time;
        _tokenEndpoint = options.TokenEndpoint ?? throw new InvalidOperationException("ApiCallMeteringOptions.TokenEndpoint is required to report usage to a token server.");
        _clientId = options.ReporterClientId ?? throw new InvalidOperationException("ApiCallMeteringOptions.ReporterClientId is required to report usage to a token server.");
        _clientSecret = options.ReporterClientSecret ?? throw new InvalidOperationException("ApiCallMeteringOptions.ReporterClientSecret is required to report usage to a token server.");
        _scope = scope;
    }

    /// <summary>The held token while it is fresh, else a new one. Throws <see cref="HttpRequestException"/> or <see cref="InvalidOperationException"/> when none can be had.</summary>
    public async ValueTask<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_held is { } held && _time.GetUtcNow() < held.RenewAt)
        {
            return held.Value;
        }

        await _fetching.WaitAsync(cancellationToken);
        try
        {
            if (_held is { } fetched && _time.GetUtcNow() < fetched.RenewAt)
            {
                return fetched.Value;
            }

            var token = await RequestAsync(cancellationToken);
            _held = token;
            return token.Value;
        }
        finally
        {
            _fetching.Release();
        }
    }

    /// <summary>Drops the held token if it is still <paramref name="token"/> (the usage endpoint refused it).</summary>
    public void Forget(string token)
    {
        if (_held is { } held && string.Equals(held.Value, token, StringComparison.Ordinal))
        {
            _held = null;
        }
    }

    public void Dispose() => _fetching.Dispose();

    private async Task<(string Value, DateTimeOffset RenewAt)> RequestAsync(CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = _clientId,
            ["client_secret"] = _clientSecret,
            ["scope"] = _scope,
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await _http.CreateClient(_httpClientName).PostAsync(_tokenEndpoint, content, timeout.Token);
        var json = response.Content.Headers.ContentType?.MediaType == "application/json"
            ? await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
            : null;
        if (!response.IsSuccessStatusCode || json?["access_token"] is not JsonValue accessToken || !accessToken.TryGetValue<string>(out var value))
        {
            throw new InvalidOperationException($"The token server refused the usage reporter's token request with {(int)response.StatusCode} {json?["error"]}.");
        }

        var lifetime = json["expires_in"] is JsonValue expires && expires.TryGetValue<long>(out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(1);
        var renewAt = _time.GetUtcNow() + (lifetime > RenewBeforeExpiry * 2 ? lifetime - RenewBeforeExpiry : lifetime / 2);
        return (value, renewAt);
    }
}
