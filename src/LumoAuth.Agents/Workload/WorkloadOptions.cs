namespace LumoAuth.Agents.Workload;

/// <summary>
/// Workload identity federation: the trusted platform issuers and the bindings of their workloads to agents.
/// Section <c>LumoAgents:Workload</c>; validated at start-up, every bad field named.
/// </summary>
public sealed class WorkloadOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "LumoAgents:Workload";

    /// <summary>The trusted issuers.</summary>
    public IList<WorkloadIssuer> Issuers { get; set; } = [];

    /// <summary>The bindings of workloads to agents.</summary>
    public IList<WorkloadBinding> Bindings { get; set; } = [];

    /// <summary>The largest platform token accepted, in bytes (default 16 KB).</summary>
    public int MaxTokenBytes { get; set; } = 16 * 1024;

    /// <summary>At most one key refresh per issuer in this window, whatever <c>kid</c>s arrive (default 30 s).</summary>
    public TimeSpan RefreshThrottle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an issuer's last good keys keep working while it cannot be reached (default 24 h); then it fails closed.</summary>
    public TimeSpan LastKnownGoodWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long fetched keys are used before they are fetched again (default 1 h).</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Total time allowed for one key or discovery fetch (default 10 s).</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest discovery or JWKS document accepted, in bytes (default 64 KB).</summary>
    public int MaxDocumentBytes { get; set; } = 64 * 1024;

    /// <summary>The most keys one JWKS may hold (default 32).</summary>
    public int MaxKeys { get; set; } = 32;

    /// <summary>The trusted issuer named <paramref name="name"/>, or <see langword="null"/>.</summary>
    public WorkloadIssuer? FindByName(string name) => Issuers.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.Ordinal));

    /// <summary>The trusted issuer whose <c>iss</c> is exactly <paramref name="issuer"/>, or <see langword="null"/>.</summary>
    public WorkloadIssuer? FindByIssuer(string issuer) => Issuers.FirstOrDefault(i => string.Equals(i.Issuer, issuer, StringComparison.Ordinal));
}
