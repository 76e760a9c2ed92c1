namespace LumoAuth.Agents.AAuth;

/// <summary>The JWT types and request types of AAuth.</summary>
public static class AAuthConstants
{
    /// <summary>The agent token: who the agent is and the key it signs with (<c>cnf.jwk</c>).</summary>
    public const string AgentTokenType = "agent+jwt";

    /// <summary>The resource token: minted by the resource the agent wants to call, naming the agent and its key thumbprint.</summary>
    public const string ResourceTokenType = "resource+jwt";

    /// <summary>The auth token: issued here for one resource, bound to the agent's key (<c>cnf.jkt</c>).</summary>
    public const string AuthTokenType = "auth+jwt";

    /// <summary>The refresh token for an auth token, bound to the same key.</summary>
    public const string RefreshTokenType = "aauth-refresh+jwt";

    /// <summary>A registered agent gets its agent token by signing with a key it enrolled.</summary>
    public const string RequestAgent = "agent";

    /// <summary>Agent token + resource token + scope → auth token.</summary>
    public const string RequestAuth = "auth";

    /// <summary>Refresh token → a new auth token (the agent is checked again).</summary>
    public const string RequestRefresh = "refresh";

    /// <summary>An agent called by another agent exchanges the auth token it received for one to call the next resource; <c>act</c> nests.</summary>
    public const string RequestExchange = "exchange";

    /// <summary>The authorization scheme for auth tokens at resources: <c>Authorization: AAuth &lt;auth token&gt;</c>.</summary>
    public const string AuthorizationScheme = "AAuth";

    /// <summary>The seed's single-header carrier of the signature.</summary>
    public const string AgentAuthHeader = "Agent-Auth";

    /// <summary>The AAuth drafts' header conveying the signing key, keyed by signature label.</summary>
    public const string SignatureKeyHeader = "Signature-Key";

    /// <summary>The claim naming the agent in resource, auth and refresh tokens.</summary>
    public const string AgentClaim = "agent";

    /// <summary>The claim in a resource token carrying the agent key's RFC 7638 thumbprint.</summary>
    public const string AgentKeyThumbprintClaim = "agent_jkt";

    /// <summary>The claim in a refresh token naming the resource it renews tokens for.</summary>
    public const string ResourceClaim = "resource";
}
