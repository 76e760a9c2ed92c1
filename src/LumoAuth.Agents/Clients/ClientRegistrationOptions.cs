namespace LumoAuth.Agents.Clients;

/// <summary>
/// How users' own OAuth clients (MCP clients among them) come to be known without an administrator: by a client ID
/// metadata document, or by RFC 7591 dynamic registration. These clients are public (PKCE, no secret), act for the
/// signed-in user and are never agents. Section <c>LumoAgents:ClientRegistration</c>.
/// </summary>
public sealed class ClientRegistrationOptions
{
    /// <summary>OAuth Client ID Metadata Documents: an https <c>client_id</c> that is the address of the client's metadata.</summary>
    public ClientMetadataDocumentOptions MetadataDocuments { get; } = new();

    /// <summary>RFC 7591 dynamic client registration, for clients that cannot host a metadata document. Off by default.</summary>
    public DynamicClientRegistrationOptions Dynamic { get; } = new();

    /// <summary>
    /// The scopes such clients may be granted. Empty (the default): <c>openid</c>, <c>profile</c>, <c>email</c>,
    /// <c>offline_access</c> and every scope a registered protected resource accepts.
    /// </summary>
    public IList<string> Scopes { get; } = [];
}

/// <summary>
/// OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document), the way MCP clients register:
/// the <c>client_id</c> is an https URL, and the server fetches the document there under the same rules as issuer keys
/// (https only, no private addresses, no redirects, size and time limits), then keeps it for a while.
/// </summary>
public sealed class ClientMetadataDocumentOptions
{
    /// <summary>Whether an https <c>client_id</c> is resolved as a metadata document (default on).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The largest document accepted, in bytes (default 5 KB, as the draft recommends).</summary>
    public int MaxDocumentBytes { get; set; } = 5 * 1024;

    /// <summary>Total time allowed for one fetch (default 5 s).</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a fetched document is used before it is fetched again (default 10 minutes); a shorter
    /// <c>Cache-Control: max-age</c> from its server wins, and <c>no-store</c> means every use fetches it.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// For development only: accept <c>http</c> documents. A document served over http can be changed by anyone on the
    /// path, and with it the client's redirect URIs.
    /// </summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// For development only: fetch documents from private and loopback addresses (link-local never). Without it a
    /// <c>client_id</c> cannot make the server reach inside its own network.
    /// </summary>
    public bool AllowPrivateNetwork { get; set; }

    /// <summary>
    /// Private certificate authorities whose certificates document servers may present besides those the system
    /// trusts, for a development or internal PKI. A certificate must still name the host it is served for.
    /// </summary>
    public IList<System.Security.Cryptography.X509Certificates.X509Certificate2> TrustedCertificateAuthorities { get; } = [];
}

/// <summary>RFC 7591 dynamic client registration at <c>/connect/register</c>, for MCP clients that predate metadata documents.</summary>
public sealed class DynamicClientRegistrationOptions
{
    /// <summary>Whether the registration endpoint is served and advertised (default off).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Whether a request without an initial access token may register a client whose redirect URIs are all loopback
    /// (<c>http://127.0.0.1</c>, <c>http://[::1]</c>, <c>http://localhost</c>), as desktop and command-line MCP clients do
    /// (default on once <see cref="Enabled"/>). Any other redirect URI needs an initial access token.
    /// </summary>
    public bool AllowAnonymousLoopback { get; set; } = true;

    /// <summary>
    /// The initial access tokens (RFC 7591 §3) that allow registering clients with any https redirect URI, sent as
    /// <c>Authorization: Bearer</c>. Keep them in a secret store, at least 32 characters each.
    /// </summary>
    public IList<string> InitialAccessTokens { get; } = [];

    /// <summary>How many clients one IP may register per hour (default 10); past it the endpoint answers 429.</summary>
    public int RegistrationsPerHourPerIp { get; set; } = 10;
}
