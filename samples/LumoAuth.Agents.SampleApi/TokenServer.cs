namespace LumoAuth.Agents.SampleApi;

/// <summary>
/// Where the API finds the token server. One address, <c>Api:Authority</c> (or <c>--host</c>), gives the rest as the
/// sample host lays them out: the issuer is the address itself, the usage endpoint is under the seed tenant's path,
/// the token endpoint is <c>connect/token</c>. <c>Api:Issuer</c>, <c>Api:UsageEndpoint</c> and <c>Api:TokenEndpoint</c>
/// override each one, for a token server laid out otherwise or a pinned issuer.
/// </summary>
public sealed record TokenServer(Uri Issuer, string UsageEndpoint, Uri TokenEndpoint)
{
    /// <summary>Reads the <c>Api</c> section; throws, naming the setting, when an address is not an absolute URL.</summary>
    public static TokenServer From(IConfiguration api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var authority = Absolute(api, "Authority") ?? throw new InvalidOperationException("Set Api:Authority (or --host) to the token server's address, e.g. http://127.0.0.1:5080/.");
        if (!authority.AbsoluteUri.EndsWith('/'))
        {
            authority = new Uri(authority.AbsoluteUri + "/");
        }

        return new TokenServer(
            Absolute(api, "Issuer") ?? authority,
            api["UsageEndpoint"] is { Length: > 0 } usage ? usage : authority.AbsoluteUri + "t/acme-corp/api/v1/agents/{agentId}/usage",
            Absolute(api, "TokenEndpoint") ?? new Uri(authority, "connect/token"));
    }

    private static Uri? Absolute(IConfiguration api, string key) => api[key] switch
    {
        null or "" => null,
        var value when Uri.TryCreate(value, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) => url,
        var value => throw new InvalidOperationException($"Api:{key} must be an absolute http(s) URL; it is '{value}'."),
    };
}
