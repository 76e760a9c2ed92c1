using LumoAuth.Agents.HttpSignatures.Keys;

namespace LumoAuth.Agents.Client.AAuth;

/// <summary>How the signature travels.</summary>
public enum SignatureCarrier
{
    /// <summary>RFC 9421 <c>Signature-Input</c> + <c>Signature</c>, with the agent token in <c>Signature-Key</c> (covered by the signature).</summary>
    SignatureHeaders,

    /// <summary>The seed's single <c>Agent-Auth</c> header.</summary>
    AgentAuth,
}

/// <summary>Who the agent is to AAuth and where its token server is.</summary>
public sealed class AAuthClientOptions
{
    /// <summary>The token server's AAuth endpoint (for example <c>https://auth.example/t/acme-corp/api/v1/aauth/agent/token</c>).</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The agent's registered id.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The agent's private signing key; its public half is enrolled in the registry.</summary>
    public HttpSignatureKey? SigningKey { get; set; }

    /// <summary>How signatures travel (RFC 9421 headers by default).</summary>
    public SignatureCarrier Carrier { get; set; } = SignatureCarrier.SignatureHeaders;

    /// <summary>How long before expiry a cached token is renewed (default 30 seconds).</summary>
    public TimeSpan RenewBeforeExpiry { get; set; } = TimeSpan.FromSeconds(30);
}
