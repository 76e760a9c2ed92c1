using LumoAuth.Agents.AspNetCore.Keys;
using LumoAuth.Agents.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.Bearer;

/// <summary>The scheme's name and the values the resource server states in its challenges.</summary>
public static class LumoAgentsBearerDefaults
{
    /// <summary>The default authentication scheme name.</summary>
    public const string AuthenticationScheme = "LumoAgents";

    /// <summary>The name of the HTTP client that fetches the token server's metadata and keys.</summary>
    public const string HttpClientName = "LumoAuth.Agents.ResourceServer";

    /// <summary>The longest clock skew that may be configured (RFC 9068 leaves it to the resource; we cap it).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(60);
}

/// <summary>
/// How a resource server validates the token server's access tokens (RFC 9068 JWTs): exact issuer and audience,
/// <c>typ: at+jwt</c>, an algorithm from the allow-list, a required expiry and at most 60 seconds of skew.
/// </summary>
public sealed class LumoAgentsBearerOptions : AuthenticationSchemeOptions
{
    /// <summary>The token server's issuer, exactly as it appears in <c>iss</c> (for OpenIddict, with a trailing slash). Required.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>
    /// The audiences this resource answers to; a token must name at least one of them in <c>aud</c>. Required unless
    /// <see cref="Resource"/> is set, which is an audience of its own.
    /// </summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>
    /// This resource's identifier (RFC 8707, RFC 9728): the absolute URI clients name in <c>resource</c> and the token
    /// server writes into <c>aud</c>, e.g. an MCP server's endpoint <c>https://mcp.example.com/mcp</c>. When set, it is
    /// an accepted audience, its protected resource metadata is served (<c>MapLumoAgentsProtectedResourceMetadata</c>)
    /// and every 401 and 403 names that document in <c>resource_metadata</c>, so that a client discovers where to
    /// get a token from the first refusal. HTTPS, or HTTP on loopback; no query, no fragment.
    /// </summary>
    public Uri? Resource { get; set; }

    /// <summary>The resource's human-readable name in its metadata (<c>resource_name</c>).</summary>
    public string? ResourceName { get; set; }

    /// <summary>The scopes a client may ask for to call this resource, listed in its metadata (<c>scopes_supported</c>).</summary>
    public IList<string> ScopesSupported { get; } = [];

    /// <summary>A page for developers about this resource, listed in its metadata (<c>resource_documentation</c>).</summary>
    public Uri? ResourceDocumentation { get; set; }

    /// <summary>
    /// Refuse tokens whose <c>aud</c> names other audiences besides this resource's (RFC 8725 §3.9): a token meant for
    /// several APIs could otherwise be replayed by one of them to another. Off by default, as the token server names
    /// several audiences only when a client asks for them.
    /// </summary>
    public bool RequireSingleAudience { get; set; }

    /// <summary>The signature algorithms accepted (default ES256, ES384, PS256, RS256). <c>none</c> and HMAC are never accepted.</summary>
    public IList<string> Algorithms { get; } =
        [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSha256];

    /// <summary>The clock skew allowed on <c>exp</c>, <c>nbf</c> and <c>iat</c> (default 30 seconds, at most 60).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Where the token server's metadata is read for its <c>jwks_uri</c> (default
    /// <c>{Issuer}.well-known/openid-configuration</c>).
    /// </summary>
    public Uri? MetadataAddress { get; set; }

    /// <summary>Pinned verification keys: when set, nothing is fetched.</summary>
    public IList<SecurityKey> SigningKeys { get; } = [];

    /// <summary>How fetched keys are kept.</summary>
    public SigningKeyCacheOptions KeyCache { get; } = new();

    /// <summary>
    /// What DPoP proofs (RFC 9449) must be for tokens bound to a key: algorithms (also named in the challenge's
    /// <c>algs</c>), freshness, size. Their <c>jti</c> values are spent in the registered <c>ISignatureNonceStore</c>:
    /// register a shared one (the EF Core store) when the resource runs on more than one instance. With
    /// <c>RequireNonce</c> the resource hands out nonces in <c>DPoP-Nonce</c> and answers a proof without a good one
    /// <c>401 use_dpop_nonce</c>; instances share <c>NonceSecret</c>.
    /// </summary>
    public LumoAuth.Agents.Dpop.DpopOptions Dpop { get; } = new();

    /// <summary>The realm named in <c>WWW-Authenticate</c>, or <see langword="null"/> for none.</summary>
    public string? Realm { get; set; }

    /// <summary>The metadata address actually used.</summary>
    internal Uri ResolvedMetadataAddress => MetadataAddress ?? TokenServerMetadata.WellKnown(Issuer!, "openid-configuration");

    /// <summary>The audiences accepted: <see cref="Audiences"/> and the <see cref="Resource"/> identifier.</summary>
    internal IEnumerable<string> AcceptedAudiences => Resource is null ? Audiences : Audiences.Append(Resource.OriginalString).Append(Resource.AbsoluteUri).Distinct(StringComparer.Ordinal);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Issuer is not { IsAbsoluteUri: true })
        {
            throw new InvalidOperationException("LumoAgentsBearerOptions.Issuer must be the token server's absolute issuer URI.");
        }

        if ((Audiences.Count == 0 && Resource is null) || Audiences.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException("LumoAgentsBearerOptions.Audiences must name the audience(s) this resource answers to, or Resource its identifier.");
        }

        if (Resource is not null && ProtectedResourceMetadata.Problem(Resource) is { } problem)
        {
            throw new InvalidOperationException("LumoAgentsBearerOptions.Resource " + problem);
        }

        if (ClockSkew < TimeSpan.Zero || ClockSkew > LumoAgentsBearerDefaults.MaxClockSkew)
        {
            throw new InvalidOperationException($"LumoAgentsBearerOptions.ClockSkew must be between 0 and {LumoAgentsBearerDefaults.MaxClockSkew.TotalSeconds} seconds.");
        }

        if (Algorithms.Count == 0 || Algorithms.Any(a => a is "none" || a.StartsWith("HS", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("LumoAgentsBearerOptions.Algorithms must list asymmetric algorithms only (no 'none', no HMAC).");
        }

        if (SigningKeys.Count == 0 && ResolvedMetadataAddress is { } metadata && metadata.Scheme != Uri.UriSchemeHttps && !metadata.IsLoopback)
        {
            throw new InvalidOperationException("The token server's keys are fetched over HTTPS only (plain HTTP is allowed on loopback for local trials).");
        }
    }
}
