using System.Collections.Concurrent;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Fetching;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Clients;

/// <summary>The outcome of resolving a client ID metadata document: the document, or why there is none.</summary>
/// <param name="Document">The checked document, or null.</param>
/// <param name="Problem">Why it was refused, in words safe to show the client; null when resolved.</param>
public sealed record ClientMetadataDocumentResult(ClientMetadataDocument? Document, string? Problem);

/// <summary>
/// Resolves an https <c>client_id</c> to its metadata document: fetched under
/// <see cref="ClientMetadataDocumentOptions"/> by the same guarded fetcher as issuer keys, checked
/// (<see cref="ClientMetadataDocument.Read"/>), and kept for <see cref="ClientMetadataDocumentOptions.CacheDuration"/> or the
/// document's shorter <c>max-age</c>. One fetch per address at a time; a refusal is kept for 10 seconds, so a flood of
/// requests naming one bad address is not a flood of fetches.
/// </summary>
public sealed class ClientMetadataDocumentResolver
{
    private static readonly TimeSpan RefusalLifetime = TimeSpan.FromSeconds(10);
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly OutboundDocumentFetcher _fetcher;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;
    private readonly TimeProvider _time;

    internal ClientMetadataDocumentResolver(OutboundDocumentFetcher fetcher, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
    {
        _fetcher = fetcher;
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Whether <paramref name="clientId"/> names a metadata document: metadata documents are enabled and it starts with
    /// <c>https://</c> (or <c>http://</c> when allowed).
    /// </summary>
    public bool IsDocumentClientId(string? clientId) =>
        clientId is not null && _options.CurrentValue.ClientRegistration.MetadataDocuments.Enabled &&
        ClientMetadataDocument.IsDocumentAddress(clientId, allowHttp: true, out _, out _);

    /// <summary>Resolves <paramref name="clientId"/>; never throws for what the document or its server did.</summary>
    public async Task<ClientMetadataDocumentResult> ResolveAsync(string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        var now = _time.GetUtcNow();
        if (_entries.TryGetValue(clientId, out var entry) && (!entry.Task.IsCompleted || entry.Task.Result.ExpiresAt > now))
        {
            return (await entry.Task.WaitAsync(cancellationToken)).Result;
        }

        if (_entries.Count >= MaxEntries)
        {
            foreach (var stale in _entries.Where(e => e.Value.Task.IsCompleted && e.Value.Task.Result.ExpiresAt <= now).Select(e => e.Key).ToList())
            {
                _entries.TryRemove(stale, out _);
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }
        }

        var fresh = new Entry(FetchAsync(clientId));
        var winner = entry is null ? _entries.GetOrAdd(clientId, fresh) : (_entries.TryUpdate(clientId, fresh, entry) ? fresh : _entries.GetValueOrDefault(clientId, fresh));
        return (await winner.Task.WaitAsync(cancellationToken)).Result;
    }

    private async Task<Timed> FetchAsync(string clientId)
    {
        await Task.Yield(); // the fetch belongs to the entry, not to the first caller's cancellation
        var options = _options.CurrentValue.ClientRegistration.MetadataDocuments;
        var now = _time.GetUtcNow();
        if (!ClientMetadataDocument.IsDocumentAddress(clientId, options.AllowHttp, out var address, out var problem) || address is null)
        {
            return Refused(problem ?? "The client_id is not a URL.", now);
        }

        OutboundDocument fetched;
        try
        {
            fetched = await _fetcher.GetAsync(address, new OutboundFetchRules(options.AllowHttp, options.AllowPrivateNetwork, options.MaxDocumentBytes, options.FetchTimeout, options.TrustedCertificateAuthorities.ToArray()), CancellationToken.None);
        }
        catch (OutboundFetchException exception)
        {
            return Refused("The client metadata document could not be fetched: " + exception.Message, now);
        }

        var document = ClientMetadataDocument.Read(fetched.Body, clientId, out problem);
        if (document is null)
        {
            return Refused(problem!, now);
        }

        var lifetime = fetched.MaxAge is { } maxAge && maxAge < options.CacheDuration ? maxAge : options.CacheDuration;
        return new Timed(new ClientMetadataDocumentResult(document, null), now + lifetime);
    }

    private static Timed Refused(string problem, DateTimeOffset now) => new(new ClientMetadataDocumentResult(null, problem), now + RefusalLifetime);

    private sealed record Timed(ClientMetadataDocumentResult Result, DateTimeOffset ExpiresAt);

    private sealed record Entry(Task<Timed> Task);
}
