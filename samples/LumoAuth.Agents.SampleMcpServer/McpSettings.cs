namespace LumoAuth.Agents.SampleMcpServer;

/// <summary>
/// Where the MCP server finds the token server and the API, and who it is. <c>Mcp:Resource</c> is its own address as
/// registered with the token server (default: the first of <c>Urls</c> + <c>/mcp</c>).
/// </summary>
public sealed record McpSettings(Uri Authority, Uri Api, Uri Resource, string ClientId, string ClientSecret, string ReporterClientId, string ReporterClientSecret)
{
    /// <summary>Reads the <c>Mcp</c> section; throws, naming the setting, when one is missing or not an absolute URL.</summary>
    public static McpSettings From(IConfiguration section, string? urls)
    {
        ArgumentNullException.ThrowIfNull(section);
        var first = (urls ?? "http://127.0.0.1:5082").Split(';', StringSplitOptions.RemoveEmptyEntries)[0].TrimEnd('/');
        return new McpSettings(
            WithSlash(Absolute(section, "Authority")), WithSlash(Absolute(section, "Api")),
            section["Resource"] is { Length: > 0 } ? Absolute(section, "Resource") : new Uri(first + "/mcp"),
            Required(section, "ClientId"), Required(section, "ClientSecret"), Required(section, "ReporterClientId"), Required(section, "ReporterClientSecret"));
    }

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static string Required(IConfiguration section, string key) =>
        section[key] is { Length: > 0 } value ? value : throw new InvalidOperationException($"Set Mcp:{key}.");

    private static Uri Absolute(IConfiguration section, string key) =>
        Uri.TryCreate(section[key], UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw new InvalidOperationException($"Mcp:{key} must be an absolute http(s) URL; it is '{section[key]}'.");
}
