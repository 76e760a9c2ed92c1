using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>
/// Fetches issuer keys over HTTP with the limits an identity server needs: HTTPS only (plain HTTP only for an issuer
/// marked <see cref="WorkloadIssuer.AllowHttp"/>), no redirects, a total timeout, caps on document size and key count,
/// and no connection to private, loopback or link-local addresses (checked on the resolved address, so DNS cannot
/// point a public name inside) unless the issuer is marked <see cref="WorkloadIssuer.AllowPrivateNetwork"/>.
/// </summary>
public sealed class HttpWorkloadKeyFetcher : IWorkloadKeyFetcher, IDisposable
{
    private readonly HttpClient _publicOnly;
    private readonly HttpClient _privateAllowed;
    private readonly IOptionsMonitor<WorkloadOptions> _options;

    /// <summary>Creates the fetcher.</summary>
    public HttpWorkloadKeyFetcher(IOptionsMonitor<WorkloadOptions> options)
    {
        _options = options;
        _publicOnly = new HttpClient(Handler(allowPrivate: false), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _privateAllowed = new HttpClient(Handler(allowPrivate: true), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
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
                if (!discovery.RootElement.TryGetProperty("issuer", out var advertised) || advertised.GetString() != issuer.Issuer)
                {
                    throw new WorkloadKeyFetchException($"The discovery document of '{issuer.Name}' names another issuer.");
                }

                if (!discovery.RootElement.TryGetProperty("jwks_uri", out var uri) || !Uri.TryCreate(uri.GetString(), UriKind.Absolute, out jwksUri))
                {
                    throw new WorkloadKeyFetchException($"The discovery document of '{issuer.Name}' has no absolute jwks_uri.");
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
        catch (Exception exception) when (exception is HttpRequestException or JsonException or ArgumentException)
        {
            throw new WorkloadKeyFetchException($"The keys of '{issuer.Name}' could not be fetched: {exception.Message}", exception);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _publicOnly.Dispose();
        _privateAllowed.Dispose();
    }

    private async Task<string> GetAsync(WorkloadIssuer issuer, Uri uri, int maxBytes, CancellationToken cancellationToken)
    {
        if (uri.Scheme != Uri.UriSchemeHttps && !(issuer.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            throw new WorkloadKeyFetchException($"'{uri}' is not https; plain http is only for issuers marked AllowHttp.");
        }

        var client = issuer.AllowPrivateNetwork ? _privateAllowed : _publicOnly;
        using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new WorkloadKeyFetchException($"'{uri}' answered {(int)response.StatusCode}; redirects are not followed.");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[maxBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        if (read > maxBytes)
        {
            throw new WorkloadKeyFetchException($"'{uri}' sent more than {maxBytes} bytes.");
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static SocketsHttpHandler Handler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = addresses.Where(a => allowPrivate || !IsPrivate(a)).ToArray();
            if (allowed.Length == 0)
            {
                throw new HttpRequestException($"'{context.DnsEndPoint.Host}' resolves only to private, loopback or link-local addresses; the issuer is not marked AllowPrivateNetwork.");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>True for loopback, private (RFC 1918, unique-local), link-local, CGNAT and unspecified addresses.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal || address.IsIPv6Multicast;
        }

        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 0 || b[0] >= 224 ||
               (b[0] == 172 && b[1] >= 16 && b[1] <= 31) ||
               (b[0] == 192 && b[1] == 168) ||
               (b[0] == 169 && b[1] == 254) ||
               (b[0] == 100 && b[1] >= 64 && b[1] <= 127);
    }
}
