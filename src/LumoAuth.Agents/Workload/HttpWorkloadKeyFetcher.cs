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
internal sealed class HttpWorkloadKeyFetcher : IWorkloadKeyFetcher, IDisposable
{
    private readonly HttpClient _publicOnly;
    private readonly HttpClient _privateAllowed;
    private readonly IOptionsMonitor<WorkloadOptions> _options;

    /// <summary>Creates the fetcher.</summary>
    public HttpWorkloadKeyFetcher(IOptionsMonitor<WorkloadOptions> options)
    {
        _options = options;
        // Not from IHttpClientFactory on purpose: the host's ConfigureHttpClientDefaults could swap the primary handler,
        // and with it the connect-time check that keeps key fetches off private addresses.
#pragma warning disable RS0030
        _publicOnly = new HttpClient(Handler(allowPrivate: false), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _privateAllowed = new HttpClient(Handler(allowPrivate: true), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
#pragma warning restore RS0030
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
            // Link-local (cloud metadata services) is never allowed; other private ranges only for in-cluster issuers.
            var allowed = addresses.Where(a => !IsLinkLocal(a) && (allowPrivate || !IsPrivate(a))).ToArray();
            if (allowed.Length == 0)
            {
                throw new HttpRequestException($"'{context.DnsEndPoint.Host}' resolves only to addresses keys are never fetched from (private, loopback or link-local); the issuer is not marked AllowPrivateNetwork, or the address is link-local.");
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

    /// <summary>True for IPv4 169.254.0.0/16 and IPv6 fe80::/10, including IPv4 embedded in IPv6.</summary>
    public static bool IsLinkLocal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Embedded(address);
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6LinkLocal
            : address.GetAddressBytes() is [169, 254, ..];
    }

    /// <summary>
    /// True for loopback, private (RFC 1918, unique-local), link-local, CGNAT, benchmarking (198.18/15), multicast and
    /// unspecified addresses, including IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4).
    /// </summary>
    public static bool IsPrivate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Embedded(address);

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
               (b[0] == 198 && (b[1] == 18 || b[1] == 19)) ||
               (b[0] == 100 && b[1] >= 64 && b[1] <= 127);
    }

    /// <summary>The IPv4 address an IPv6 address carries (mapped, compatible, SIIT, NAT64 64:ff9b::/96, 6to4 2002::/16), else the address.</summary>
    private static IPAddress Embedded(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        bool Zero(int from, int to) => b[from..to].All(x => x == 0);
        if (Zero(0, 12) && !Zero(12, 16) && !IPAddress.IPv6Loopback.Equals(address))
        {
            return new IPAddress(b[12..16]); // IPv4-compatible ::a.b.c.d
        }

        if (Zero(0, 8) && b[8] == 0xff && b[9] == 0xff && Zero(10, 12))
        {
            return new IPAddress(b[12..16]); // SIIT ::ffff:0:a.b.c.d
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && Zero(4, 12))
        {
            return new IPAddress(b[12..16]); // NAT64 64:ff9b::a.b.c.d
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b[2..6]); // 6to4 2002:aabb:ccdd::
        }

        return address;
    }
}
