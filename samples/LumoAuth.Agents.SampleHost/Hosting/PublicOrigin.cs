namespace LumoAuth.Agents.SampleHost.Hosting;

/// <summary>
/// The address users and agents reach the host at, from which research-bot's redirect URI is seeded:
/// <c>Sample:PublicOrigin</c> when set, otherwise the first <c>http</c> address (else <c>https</c>) the host listens on (<c>--urls</c>), so
/// a host started on another port needs no second setting. A wildcard address (<c>http://*:6080</c>,
/// <c>http://0.0.0.0:6080</c>) is read as loopback; behind a proxy or on a public name, set the origin.
/// </summary>
internal static class PublicOrigin
{
    public static readonly Uri Default = new("http://127.0.0.1:5080/");

    public static Uri From(IConfiguration configuration)
    {
        if (configuration["Sample:PublicOrigin"] is { Length: > 0 } configured)
        {
            return new Uri(configured.EndsWith('/') ? configured : configured + "/");
        }

        var listening = (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(address => Uri.TryCreate(address.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal),
                UriKind.Absolute, out var url) ? url : null)
            .OfType<Uri>()
            .Where(url => (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) && url.Port > 0) // port 0: chosen at start, unknown here
            .OrderBy(url => url.Scheme == Uri.UriSchemeHttp ? 0 : 1)
            .FirstOrDefault();
        return listening is null
            ? Default
            : new UriBuilder(listening.Scheme, listening.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : listening.Host, listening.Port).Uri;
    }
}
