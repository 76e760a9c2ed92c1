using System.Text.Json;
using LumoAuth.Agents.Fetching;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>
/// Fetches issuer keys over HTTP with the limits an identity server needs: HTTPS only (plain HTTP only for an issuer
/// marked <see cref="WorkloadIssuer.AllowHttp"/>), no redirects, a total timeout, caps on document size and key count,
/// and no connection to private, loopback or link-local addresses (checked on the resolved address, so DNS cannot
/// point a public name inside) unless the issuer is marked <see cref="WorkloadIssuer.AllowPrivateNetwork"/>.
/// </summary>
internal sealed class HttpWorkloadKeyFetcher : IWorkloadKeyFetcher
{
    private readonly OutboundDocumentFetcher _fetcher;
    private readonly IOptionsMonitor<WorkloadOptions> _options;

    /// <summary>Creates the fetcher.</summary>
    public HttpWorkloadKeyFetcher(OutboundDocumentFetcher fetcher, IOptionsMonitor<WorkloadOptions> options)
    {
        _fetcher = fetcher;
        _options = options;
    }

    /// <inheritdoc />
    public async Task<JsonWebKeySet> FetchAsync(WorkloadIssuer issuer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var options = _options.CurrentValue;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.FetchTimeout);
        try
        {
            var jwksUri = issuer.JwksUri;
            if (issuer.UseDiscovery)
            {
                var discoveryUri = new Uri(issuer.Issuer.TrimEnd('/') + "/.well-known/openid-configuration");
                using var discovery = JsonDocument.Parse(await GetAsync(issuer, discoveryUri, options.MaxDocumentBytes, timeout.Token));
                if (!discovery.RootElement.TryGetProperty("issuer", out var advertised) || advertised.ValueKind != JsonValueKind.String ||
                    advertised.GetString() != issuer.Issuer)
                {
                    throw new WorkloadKeyFetchException($"The discovery document of '{issuer.Name}' names another issuer.");
                }

                if (!discovery.RootElement.TryGetProperty("jwks_uri", out var uri) || uri.ValueKind != JsonValueKind.String ||
                    !Uri.TryCreate(uri.GetString(), UriKind.Absolute, out jwksUri))
                {
                    throw new WorkloadKeyFetchException($"The discovery document of '{issuer.Name}' has no absolute jwks_uri.");
                }

                // Keys come from the issuer's own host: a discovery document cannot send the server elsewhere.
                if (!string.Equals(jwksUri.Host, discoveryUri.Host, StringComparison.OrdinalIgnoreCase))
                {
                    throw new WorkloadKeyFetchException($"The jwks_uri of '{issuer.Name}' is on another host than its issuer; configure JwksUri explicitly to allow it.");
                }
            }

            var set = new JsonWebKeySet(await GetAsync(issuer, jwksUri!, options.MaxDocumentBytes, timeout.Token));
            if (set.Keys.Count == 0 || set.Keys.Count > options.MaxKeys)
            {
                throw new WorkloadKeyFetchException($"The JWKS of '{issuer.Name}' holds {set.Keys.Count} keys; between 1 and {options.MaxKeys} are accepted.");
            }

            return set;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WorkloadKeyFetchException($"Fetching the keys of '{issuer.Name}' took longer than {options.FetchTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or ArgumentException or InvalidOperationException)
        {
            throw new WorkloadKeyFetchException($"The keys of '{issuer.Name}' could not be fetched: {exception.Message}", exception);
        }
    }

    private async Task<string> GetAsync(WorkloadIssuer issuer, Uri uri, int maxBytes, CancellationToken cancellationToken)
    {
        // The issuer's whole fetch (discovery and keys) is bounded by the caller's timeout; each part by the same limit.
        var rules = new OutboundFetchRules(issuer.AllowHttp, issuer.AllowPrivateNetwork, maxBytes, _options.CurrentValue.FetchTimeout);
        try
        {
            return (await _fetcher.GetAsync(uri, rules, cancellationToken)).Body;
        }
        catch (OutboundFetchException exception)
        {
            throw new WorkloadKeyFetchException($"The keys of '{issuer.Name}' could not be fetched: {exception.Message}", exception);
        }
    }
}
