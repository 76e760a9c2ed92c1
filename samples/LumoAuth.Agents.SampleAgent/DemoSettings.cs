namespace LumoAuth.Agents.SampleAgent;

/// <summary>Where the sample host and API are, and the demo's local-trial credentials.</summary>
public sealed record DemoSettings
{
    /// <summary>The sample host (token server), with trailing slash.</summary>
    public Uri Host { get; init; } = new("http://127.0.0.1:5080/");

    /// <summary>The sample API, with trailing slash.</summary>
    public Uri Api { get; init; } = new("http://127.0.0.1:5081/");

    /// <summary>The sample MCP server's endpoint.</summary>
    public Uri Mcp { get; init; } = new("http://127.0.0.1:5082/mcp");

    /// <summary>
    /// The sample host's development CA (its data folder's <c>dev-ca.pfx</c>), from which the demo issues the certificate
    /// it serves Alice's app's client metadata document with.
    /// </summary>
    public string DevCertificateAuthority { get; init; } = Path.Combine("samples", "LumoAuth.Agents.SampleHost", "App_Data", "dev-ca.pfx");

    /// <summary>research-bot's redirect URI as registered (the host's public origin + <c>callback</c>); default: <see cref="Host"/> + <c>callback</c>.</summary>
    public Uri? RedirectUri { get; init; }

    /// <summary>
    /// Reads <c>--host URL</c>, <c>--api URL</c>, <c>--mcp URL</c>, <c>--redirect-uri URL</c> and <c>--dev-ca PATH</c>;
    /// throws <see cref="DemoFailedException"/> naming a bad option.
    /// </summary>
    public static DemoSettings Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new DemoSettings();
        for (var i = 0; i < args.Length; i += 2)
        {
            var option = args[i];
            if (option is not ("--host" or "--api" or "--mcp" or "--redirect-uri" or "--dev-ca"))
            {
                throw new DemoFailedException($"Unknown option '{option}'. Use --host URL, --api URL, --mcp URL, --redirect-uri URL, --dev-ca PATH.");
            }

            if (i + 1 >= args.Length)
            {
                throw new DemoFailedException(option == "--dev-ca" ? "--dev-ca needs the path of the sample host's dev-ca.pfx." : $"{option} needs a URL, e.g. {option} http://127.0.0.1:6080/.");
            }

            var text = args[i + 1];
            if (option == "--dev-ca")
            {
                settings = settings with { DevCertificateAuthority = text };
                continue;
            }

            if (!Uri.TryCreate(option is "--redirect-uri" or "--mcp" || text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var value)
                || (value.Scheme != Uri.UriSchemeHttp && value.Scheme != Uri.UriSchemeHttps))
            {
                throw new DemoFailedException($"{option} needs an absolute http(s) URL; '{text}' is not one.");
            }

            settings = option switch
            {
                "--host" => settings with { Host = value },
                "--api" => settings with { Api = value },
                "--mcp" => settings with { Mcp = value },
                _ => settings with { RedirectUri = value },
            };
        }

        return settings;
    }
}
