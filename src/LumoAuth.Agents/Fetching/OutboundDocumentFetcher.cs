using System.Net;
using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace LumoAuth.Agents.Fetching;

/// <summary>What one fetch of a document the server does not control may do.</summary>
/// <param name="AllowHttp">Plain http is accepted (else https only).</param>
/// <param name="AllowPrivateNetwork">Private and loopback addresses may be connected to (link-local never).</param>
/// <param name="MaxBytes">The largest body read; one byte more is a refusal.</param>
/// <param name="Timeout">The time the whole fetch may take, body included.</param>
/// <param name="TrustedRoots">Private certificate authorities a server's certificate may chain to besides the system's.</param>
internal sealed record OutboundFetchRules(bool AllowHttp, bool AllowPrivateNetwork, int MaxBytes, TimeSpan Timeout, IReadOnlyCollection<X509Certificate2>? TrustedRoots = null);

/// <summary>A fetched document: its body and how long its server says it may be kept.</summary>
internal sealed record OutboundDocument(string Body, TimeSpan? MaxAge);

/// <summary>Why a document could not be fetched under its rules, in words safe to show the caller.</summary>
internal sealed class OutboundFetchException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The one way the server fetches documents named by others (issuer keys, client metadata documents): https only
/// unless allowed, no redirects, no cookies or proxy, a total timeout, a size cap read as the body arrives, and no
/// connection to private, loopback or link-local addresses, checked on the resolved address at connect time so DNS
/// cannot point a public name inside. Not from IHttpClientFactory on purpose: the host's ConfigureHttpClientDefaults
/// could swap the primary handler, and with it the connect-time check.
/// </summary>
internal sealed class OutboundDocumentFetcher : IDisposable
{
    private readonly HttpClient _publicOnly;
    private readonly HttpClient _privateAllowed;
    private readonly ConcurrentDictionary<string, HttpClient> _withPrivateRoots = new(StringComparer.Ordinal);

    /// <summary>Creates the fetcher.</summary>
    public OutboundDocumentFetcher()
    {
#pragma warning disable RS0030
        _publicOnly = new HttpClient(Handler(allowPrivate: false), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _privateAllowed = new HttpClient(Handler(allowPrivate: true), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
#pragma warning restore RS0030
    }

    /// <summary>Fetches <paramref name="uri"/> under <paramref name="rules"/>.</summary>
    /// <exception cref="OutboundFetchException">The rules refused it, or it failed; the message says which.</exception>
    public async Task<OutboundDocument> GetAsync(Uri uri, OutboundFetchRules rules, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(rules);
        if (uri.Scheme != Uri.UriSchemeHttps && !(rules.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            throw new OutboundFetchException($"'{uri.AbsoluteUri}' is not https.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(rules.Timeout);
        try
        {
            var client = rules.TrustedRoots is { Count: > 0 } roots ? WithRoots(rules.AllowPrivateNetwork, roots)
                : rules.AllowPrivateNetwork ? _privateAllowed : _publicOnly;
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new OutboundFetchException($"'{uri.AbsoluteUri}' answered {(int)response.StatusCode}; redirects are not followed.");
            }

            if (response.Content.Headers.ContentLength > rules.MaxBytes)
            {
                throw new OutboundFetchException($"'{uri.AbsoluteUri}' sent more than {rules.MaxBytes} bytes.");
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = new byte[rules.MaxBytes + 1];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token)) > 0)
            {
                read += n;
            }

            if (read > rules.MaxBytes)
            {
                throw new OutboundFetchException($"'{uri.AbsoluteUri}' sent more than {rules.MaxBytes} bytes.");
            }

            var maxAge = response.Headers.CacheControl is { NoStore: false, NoCache: false, MaxAge: { } age } ? age : (TimeSpan?)null;
            if (response.Headers.CacheControl is { NoStore: true } or { NoCache: true })
            {
                maxAge = TimeSpan.Zero;
            }

            return new OutboundDocument(System.Text.Encoding.UTF8.GetString(buffer, 0, read), maxAge);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OutboundFetchException($"Fetching '{uri.AbsoluteUri}' took longer than {rules.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException exception)
        {
            throw new OutboundFetchException($"'{uri.AbsoluteUri}' could not be fetched: {exception.Message}", exception);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _publicOnly.Dispose();
        _privateAllowed.Dispose();
        foreach (var client in _withPrivateRoots.Values)
        {
            client.Dispose();
        }
    }

    /// <summary>A client whose TLS check also accepts a chain to <paramref name="roots"/>; one per set of roots.</summary>
    private HttpClient WithRoots(bool allowPrivate, IReadOnlyCollection<X509Certificate2> roots)
    {
        var key = (allowPrivate ? "p:" : "") + string.Join(',', roots.Select(r => r.Thumbprint).Order(StringComparer.Ordinal));
        return _withPrivateRoots.GetOrAdd(key, _ =>
        {
            var handler = Handler(allowPrivate);
            var trusted = new X509Certificate2Collection(roots.ToArray());
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
                {
                    return false; // a name mismatch or no certificate is never excused
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
#pragma warning disable RS0030
            return new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
#pragma warning restore RS0030
        });
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
                throw new HttpRequestException($"'{context.DnsEndPoint.Host}' resolves only to addresses documents are never fetched from (private, loopback or link-local).");
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
