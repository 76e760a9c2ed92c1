namespace LumoAuth.Agents.Client;

/// <summary>Who the agent is to its token server, and how it logs in.</summary>
public sealed class LumoAgentClientOptions
{
    /// <summary>The token server's token endpoint (for example <c>https://auth.example/t/acme-corp/api/v1/oauth/token</c>). Required.</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The agent's client id (for client credentials).</summary>
    public string? ClientId { get; set; }

    /// <summary>The agent's client secret (client credentials); leave null to log in with a workload token instead.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// A file holding the workload's identity token, such as Kubernetes' projected service account token
    /// (<c>/var/run/secrets/tokens/lumo</c>). It is read again each time a new agent token is needed, so a rotated
    /// token is picked up.
    /// </summary>
    public string? WorkloadTokenFile { get; set; }

    /// <summary>Any other source of the workload token (a cloud metadata endpoint, a SPIFFE JWT-SVID…); used instead of the file.</summary>
    public Func<CancellationToken, ValueTask<string>>? WorkloadTokenSource { get; set; }

    /// <summary>The token type of the workload token (default <c>urn:ietf:params:oauth:token-type:jwt</c>).</summary>
    public string WorkloadTokenType { get; set; } = TokenTypes.Jwt;

    /// <summary>The trusted workload issuer's name on the token server (<c>subject_issuer</c>, for example <c>kubernetes</c>), if it needs one.</summary>
    public string? WorkloadIssuer { get; set; }

    /// <summary>The scope asked for when a caller names none (null: the agent's default scopes).</summary>
    public string? DefaultScope { get; set; }

    /// <summary>How long before expiry a cached token is renewed (default 30 seconds).</summary>
    public TimeSpan RenewBeforeExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The agent's DPoP key (RFC 9449). Set, every token request carries a proof by it, the token server binds the
    /// agent's tokens to it, and the handlers send them as <c>Authorization: DPoP</c> with a proof per request: a
    /// stolen token is useless without the key. Cached tokens belong to this key.
    /// </summary>
    public Dpop.DpopKey? DpopKey { get; set; }

    /// <summary>How long one token request may take (default 30 seconds).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The token server's backchannel authentication endpoint (OpenID CIBA), where the agent asks a user for an approval;
    /// by default <c>/connect/ciba</c> beside <see cref="TokenEndpoint"/>.
    /// </summary>
    public Uri? BackchannelAuthenticationEndpoint { get; set; }

    internal bool UsesWorkload => WorkloadTokenSource is not null || WorkloadTokenFile is not null;
}

/// <summary>RFC 8693 token type identifiers.</summary>
public static class TokenTypes
{
    /// <summary>An OAuth access token.</summary>
    public const string AccessToken = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>A JWT (workload identity tokens).</summary>
    public const string Jwt = "urn:ietf:params:oauth:token-type:jwt";
}
