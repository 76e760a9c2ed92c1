namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>
/// The parts of an HTTP message a signature can cover, independent of any server framework. For a request: the
/// method and the full target URI as the server reconstructs it (behind a TLS-terminating proxy, from configuration,
/// never from client-supplied forwarding headers). For a response: the status code and, for components marked
/// <c>req</c>, the request it answers. Header fields are kept in the order received (names may repeat).
/// </summary>
/// <param name="Method">The request method, as sent (e.g. <c>POST</c>); null for a response.</param>
/// <param name="TargetUri">The absolute target URI; null for a response.</param>
/// <param name="Headers">The header fields, in order.</param>
public sealed record HttpMessage(string? Method, Uri? TargetUri, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The status code of a response; null for a request.</summary>
    public int? Status { get; init; }

    /// <summary>For a response, the request it answers (what <c>;req</c> components are read from).</summary>
    public HttpMessage? Request { get; init; }

    /// <summary>Whether this is a response.</summary>
    public bool IsResponse => Status is not null;

    /// <summary>A request.</summary>
    public static HttpMessage ForRequest(string method, Uri targetUri, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(targetUri);
        return new(method, targetUri, headers);
    }

    /// <summary>A response, optionally bound to the request it answers.</summary>
    public static HttpMessage ForResponse(int status, IReadOnlyList<KeyValuePair<string, string>> headers, HttpMessage? request = null)
    {
        if (status is < 100 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(status), "A status code has three digits.");
        }

        return new(null, null, headers) { Status = status, Request = request };
    }

    /// <summary>All values of the header <paramref name="name"/> (case-insensitive), in order.</summary>
    public IEnumerable<string> Values(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);
}
