namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>
/// Which return URLs the host follows after a sign-in: a path on this host and nothing else. <c>//evil.example/</c>
/// and <c>/\evil.example/</c> start with a slash but browsers read them as another host; absolute URLs, relative
/// paths and anything with a control character are not followed either.
/// </summary>
internal static class LocalUrl
{
    public const string Default = "/account/consents";

    /// <summary><paramref name="url"/> when it is a path on this host, otherwise <see cref="Default"/>.</summary>
    public static string OrDefault(string? url) => IsLocal(url) ? url! : Default;

    public static bool IsLocal(string? url) =>
        url is { Length: > 0 }
        && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(char.IsControl);
}
