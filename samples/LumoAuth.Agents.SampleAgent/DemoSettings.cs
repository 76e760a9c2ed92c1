namespace LumoAuth.Agents.SampleAgent;

/// <summary>Where the sample host and API are, and the demo's local-trial credentials.</summary>
public sealed record DemoSettings
{
    /// <summary>The sample host (token server), with trailing slash.</summary>
    public Uri Host { get; init; } = new("http://127.0.0.1:5080/");

    /// <summary>The sample API, with trailing slash.</summary>
    public Uri Api { get; init; } = new("http://127.0.0.1:5081/");

    /// <summary>research-bot's redirect URI as registered (the host's public origin + <c>callback</c>); default: <see cref="Host"/> + <c>callback</c>.</summary>
    public Uri? RedirectUri { get; init; }

    /// <summary>Reads <c>--host URL</c>, <c>--api URL</c> and <c>--redirect-uri URL</c>.</summary>
    public static DemoSettings Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new DemoSettings();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = new Uri(args[i + 1].EndsWith('/') || args[i] == "--redirect-uri" ? args[i + 1] : args[i + 1] + "/");
            settings = args[i] switch
            {
                "--host" => settings with { Host = value },
                "--api" => settings with { Api = value },
                "--redirect-uri" => settings with { RedirectUri = value },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Use --host URL, --api URL, --redirect-uri URL."),
            };
        }

        return settings;
    }
}
