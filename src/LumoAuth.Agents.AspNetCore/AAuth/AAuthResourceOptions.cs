using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore.AAuth;

/// <summary>How a resource (an API, or an agent called by other agents) takes part in AAuth.</summary>
public sealed class AAuthResourceOptions
{
    /// <summary>The resource's identifier: the <c>iss</c> of the resource tokens it mints and the <c>aud</c> of its auth tokens.</summary>
    public Uri? ResourceIdentifier { get; set; }

    /// <summary>
    /// The token server (its issuer, with trailing slash), which issues agent and auth tokens. Leave it null for a
    /// resource the token server hosts itself: the request's own origin is used, with <see cref="TokenServerKeys"/>.
    /// </summary>
    public Uri? TokenServer { get; set; }

    /// <summary>The public path of the token server's AAuth endpoint, named in challenges (default <c>aauth/agent/token</c>).</summary>
    public string TokenEndpointPath { get; set; } = "aauth/agent/token";

    /// <summary>The private key resource tokens are signed with (ES256 recommended); the token server holds its public half.</summary>
    public SigningCredentials? ResourceTokenSigningCredentials { get; set; }

    /// <summary>How long a resource token lives (default 5 minutes).</summary>
    public TimeSpan ResourceTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The oldest request signature accepted (default 60 seconds).</summary>
    public TimeSpan SignatureMaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The token server's verification keys; when empty they are read from its <c>/.well-known/aauth-issuer</c> JWKS and cached.</summary>
    public IList<SecurityKey> TokenServerKeys { get; } = [];

    /// <summary>
    /// Trusted agent providers besides the token server: their issuer and the keys of their agent tokens (which name the
    /// token server as audience). The token server must trust the same providers.
    /// </summary>
    public IDictionary<string, IList<SecurityKey>> AgentProviders { get; } = new Dictionary<string, IList<SecurityKey>>(StringComparer.Ordinal);

    /// <summary>How long fetched token-server keys are used before they are read again (default 1 hour).</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromHours(1);
}
