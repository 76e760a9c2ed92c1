namespace LumoAuth.Agents.Workload;

/// <summary>
/// One platform issuer the server trusts for workload login (seed pattern 2). Keys come only from its configured
/// source, its tokens must carry one of <see cref="Audiences"/>, and only <see cref="Algorithms"/> are accepted.
/// Bound from <c>LumoAgents:Workload:Issuers</c> or added in code.
/// </summary>
public sealed class WorkloadIssuer
{
    /// <summary>What <c>subject_issuer</c> names: <c>kubernetes</c>, <c>github</c>, or any name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The claim shape of its tokens.</summary>
    public WorkloadPlatform Platform { get; set; } = WorkloadPlatform.Oidc;

    /// <summary>The exact <c>iss</c> value of its tokens.</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>Fetch keys through OpenID Connect discovery at <c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public bool UseDiscovery { get; set; }

    /// <summary>Fetch keys from this JWKS URI.</summary>
    public Uri? JwksUri { get; set; }

    /// <summary>Pinned keys, as a JWKS document, for issuers that cannot be reached (private clusters).</summary>
    public string? PinnedJwks { get; set; }

    /// <summary>Pinned keys read from a JWKS file.</summary>
    public string? PinnedJwksFile { get; set; }

    /// <summary>The audiences its tokens must carry (this server's identifier); never the Kubernetes API server's default.</summary>
    public IList<string> Audiences { get; set; } = [];

    /// <summary>Accepted signing algorithms (default RS256 and ES256). <c>none</c> and HMAC are never accepted.</summary>
    public IList<string> Algorithms { get; set; } = [];

    /// <summary>The oldest a token may be, from its <c>iat</c> (default 24 hours).</summary>
    public TimeSpan MaxTokenAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The longest <c>exp - iat</c> a token may have (default 24 hours).</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Allowed clock difference, at most 60 seconds (default 30).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Allow plain HTTP key fetches: only for an issuer on this machine or a local trial.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allow key fetches from private, loopback or link-local addresses: only for an in-cluster issuer.</summary>
    public bool AllowPrivateNetwork { get; set; }

    /// <summary>
    /// Accept tokens whose <c>aud</c> names other parties besides this server (default false: RFC 8725 section 3.9,
    /// a token meant for several parties can be replayed by any of them).
    /// </summary>
    public bool AllowMultipleAudiences { get; set; }

    /// <summary>
    /// The claims every binding to this issuer must pin because its subjects alone are not enough: the immutable
    /// <c>repository_id</c> for GitHub Actions (recognised by its URL too, since that issuer is shared by every
    /// repository), <c>project_id</c> for GitLab, and the service account <c>uid</c> for Kubernetes (a service account
    /// recreated under the same name gets a new one).
    /// </summary>
    public IReadOnlyList<string> RequiredBindingClaims =>
        Platform == WorkloadPlatform.GitHub || Issuer.StartsWith("https://token.actions.githubusercontent.com", StringComparison.OrdinalIgnoreCase) ? ["repository_id"]
        : Issuer.StartsWith("https://gitlab.com", StringComparison.OrdinalIgnoreCase) ? ["project_id"]
        : Platform == WorkloadPlatform.Kubernetes ? ["kubernetes.io/serviceaccount/uid"]
        : [];

    /// <summary>The default algorithms.</summary>
    public static IReadOnlyList<string> DefaultAlgorithms { get; } = ["RS256", "ES256"];

    /// <summary>The algorithms in force: the configured ones, or the defaults.</summary>
    public IReadOnlyList<string> EffectiveAlgorithms => Algorithms.Count > 0 ? [.. Algorithms] : DefaultAlgorithms;

    /// <summary>True when keys are pinned rather than fetched.</summary>
    public bool HasPinnedKeys => !string.IsNullOrWhiteSpace(PinnedJwks) || !string.IsNullOrWhiteSpace(PinnedJwksFile);
}
