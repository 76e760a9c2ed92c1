using LumoAuth.Agents.HttpSignatures.Signatures;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.Shared;

/// <summary>Reads an ASP.NET Core request into the framework-neutral <see cref="HttpMessage"/> a signature covers.</summary>
internal static class SignedRequestReader
{
    /// <summary>The largest body read for signature verification (1 MiB); larger requests are refused.</summary>
    public const int MaxBodyBytes = 1 << 20;

    /// <summary>
    /// The message and its body. The target URI is rebuilt from the request as the server received it (scheme,
    /// host, path base, path, query); deploy behind a proxy only with forwarded headers from trusted proxies.
    /// Returns null when the body is over <see cref="MaxBodyBytes"/>.
    /// </summary>
    public static async ValueTask<(HttpMessage Message, byte[] Body)?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        request.EnableBuffering(MaxBodyBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        request.Body.Position = 0;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                headers.Add(new(name, value ?? string.Empty));
            }
        }

        var uri = new Uri(string.Concat(request.Scheme, "://", request.Host.ToUriComponent(), request.PathBase.ToUriComponent(), request.Path.ToUriComponent(), request.QueryString.ToUriComponent()));
        return (HttpMessage.ForRequest(request.Method, uri, headers), buffer.ToArray());
    }
}
