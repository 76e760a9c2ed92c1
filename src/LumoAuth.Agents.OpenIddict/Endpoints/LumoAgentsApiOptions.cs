namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// Limits of the pack's HTTP APIs (admin, usage, audit). Bound from the <c>LumoAgents:Api</c> configuration section,
/// then from <c>services.Configure&lt;LumoAgentsApiOptions&gt;(…)</c>; read when the first API is mapped, and a bad value
/// stops the host naming every bad field.
/// </summary>
public sealed class LumoAgentsApiOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "LumoAgents:Api";

    /// <summary>
    /// How many refused requests without a valid access token one client IP may make per
    /// <see cref="AnonymousWindow"/> (default 20). Past it the API answers 429 with <c>Retry-After</c>. Requests with a
    /// valid token are never limited here. The IP is the connection's, as the host's forwarded-headers handling left it.
    /// </summary>
    public int AnonymousPermitLimit { get; set; } = 20;

    /// <summary>
    /// The window of <see cref="AnonymousPermitLimit"/> and of audit aggregation (default 1 minute): per client IP and
    /// window, the first refusal without a valid token is one audit record and every later one is counted into a
    /// single summary record (<c>refusals_aggregated</c>) written when the window ends.
    /// </summary>
    public TimeSpan AnonymousWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many client IPs are tracked for aggregation at once (default 10,000); the rest share one tally.</summary>
    public int MaxTrackedCallers { get; set; } = 10_000;

    /// <summary>The largest JSON body the APIs read (default 64 KB); a larger one is refused with 413.</summary>
    public int MaxJsonBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Every bad field, in words; empty when the options are usable.</summary>
    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (AnonymousPermitLimit is < 1 or > 100_000)
        {
            problems.Add($"{SectionName}:{nameof(AnonymousPermitLimit)} must be between 1 and 100000.");
        }

        if (AnonymousWindow < TimeSpan.FromSeconds(1) || AnonymousWindow > TimeSpan.FromHours(1))
        {
            problems.Add($"{SectionName}:{nameof(AnonymousWindow)} must be between 1 second and 1 hour.");
        }

        if (MaxTrackedCallers is < 1 or > 1_000_000)
        {
            problems.Add($"{SectionName}:{nameof(MaxTrackedCallers)} must be between 1 and 1000000.");
        }

        if (MaxJsonBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            problems.Add($"{SectionName}:{nameof(MaxJsonBodyBytes)} must be between 1024 and 16777216.");
        }

        return problems;
    }
}
