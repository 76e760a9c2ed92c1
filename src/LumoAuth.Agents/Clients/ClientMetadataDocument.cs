using System.Text.Json;

namespace LumoAuth.Agents.Clients;

/// <summary>
/// A user's OAuth client as its metadata says (RFC 7591 §2 names): from a client ID metadata document, or from a dynamic
/// registration request. Always a public client: it authenticates with PKCE, never with a secret.
/// </summary>
public sealed record ClientMetadataDocument
{
    /// <summary>The client identifier: the document's URL, or the identifier the server gave on registration.</summary>
    public required string ClientId { get; init; }

    /// <summary>The name shown to the user at consent, if the client gave one.</summary>
    public string? ClientName { get; init; }

    /// <summary>The client's home page, if given.</summary>
    public Uri? ClientUri { get; init; }

    /// <summary>The redirect URIs, matched exactly.</summary>
    public required IReadOnlyList<Uri> RedirectUris { get; init; }

    /// <summary>The grants it uses: <c>authorization_code</c>, and <c>refresh_token</c> if it asked.</summary>
    public required IReadOnlyList<string> GrantTypes { get; init; }

    /// <summary>The scopes it said it would ask for (space-separated in the document), or <see langword="null"/> for any allowed.</summary>
    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>The largest client identifier kept: the column OpenIddict's default stores give it.</summary>
    public const int MaxClientIdLength = 100;

    private static readonly string[] SecretMethods = ["client_secret_basic", "client_secret_post", "client_secret_jwt"];

    /// <summary>
    /// Whether <paramref name="clientId"/> is shaped as a metadata document address (draft-ietf-oauth-client-id-metadata-document
    /// §3): an absolute https URL (http only if <paramref name="allowHttp"/>) with a path, without fragment, user
    /// information or dot segments. Otherwise <paramref name="problem"/> says why, or is null when it is no URL at all.
    /// </summary>
    public static bool IsDocumentAddress(string clientId, bool allowHttp, out Uri? address, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        address = null;
        problem = null;
        if (!clientId.StartsWith("https://", StringComparison.OrdinalIgnoreCase) && !clientId.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!Uri.TryCreate(clientId, UriKind.Absolute, out var uri))
        {
            problem = "The client_id is not a valid URL.";
        }
        else if (uri.Scheme != Uri.UriSchemeHttps && !(allowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            problem = "A client_id metadata document must be served over https.";
        }
        else if (clientId.Length > MaxClientIdLength)
        {
            problem = $"A client_id URL may be at most {MaxClientIdLength} characters long.";
        }
        else if (uri.AbsolutePath is "/" or "" || clientId.Contains('#', StringComparison.Ordinal) || uri.UserInfo.Length > 0)
        {
            problem = "A client_id URL needs a path, and may carry neither a fragment nor user information.";
        }
        else if (clientId.Split('?')[0].Split('/').Skip(3).Any(segment => segment is "." or ".." || segment.Equals("%2e", StringComparison.OrdinalIgnoreCase) || segment.Equals("%2e%2e", StringComparison.OrdinalIgnoreCase)))
        {
            problem = "A client_id URL may not contain dot segments.";
        }
        else if (!string.Equals(uri.AbsoluteUri, clientId, StringComparison.Ordinal))
        {
            problem = $"A client_id URL must be written in canonical form ('{uri.AbsoluteUri}').";
        }
        else
        {
            address = uri;
            return true;
        }

        return true;
    }

    /// <summary>
    /// Reads a fetched document and checks it as the draft says: a JSON object whose <c>client_id</c> is exactly
    /// <paramref name="expectedClientId"/>, with redirect URIs, no secret and no secret-based authentication.
    /// </summary>
    /// <returns>The document, or null with <paramref name="problem"/> in words.</returns>
    public static ClientMetadataDocument? Read(string json, string expectedClientId, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "The client metadata document is not a JSON object.";
                return null;
            }

            if (!root.TryGetProperty("client_id", out var id) || id.ValueKind != JsonValueKind.String || !string.Equals(id.GetString(), expectedClientId, StringComparison.Ordinal))
            {
                problem = "The client metadata document's client_id is not the URL it was fetched from.";
                return null;
            }

            return ReadMetadata(root, expectedClientId, fromDocument: true, out problem, out _);
        }
        catch (JsonException)
        {
            problem = "The client metadata document is not valid JSON.";
            return null;
        }
    }

    /// <summary>
    /// Reads an RFC 7591 registration request's metadata for the client it will be registered as. When refused,
    /// <paramref name="problem"/> says why and <paramref name="redirectUrisInvalid"/> whether the redirect URIs were the
    /// cause (<c>invalid_redirect_uri</c> rather than <c>invalid_client_metadata</c>).
    /// </summary>
    public static ClientMetadataDocument? ReadRegistration(JsonElement request, string clientId, out string? problem, out bool redirectUrisInvalid) =>
        ReadMetadata(request, clientId, fromDocument: false, out problem, out redirectUrisInvalid);

    private static ClientMetadataDocument? ReadMetadata(JsonElement root, string clientId, bool fromDocument, out string? problem, out bool redirectUrisInvalid)
    {
        redirectUrisInvalid = false;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = "The client metadata is not a JSON object.";
            return null;
        }

        if (root.TryGetProperty("client_secret", out _) || root.TryGetProperty("client_secret_expires_at", out _))
        {
            problem = fromDocument ? "A client metadata document may not carry a client secret." : "A client secret cannot be chosen by the client.";
            return null;
        }

        // RFC 7591 §3.2.1: a registration's requested values may be replaced with suitable ones, and the answer says
        // which: a registration asking for a shared secret gets a public client. A document is the client's own
        // statement of how it authenticates, so there the same request is refused.
        if (root.TryGetProperty("token_endpoint_auth_method", out var method) &&
            (method.ValueKind != JsonValueKind.String || method.GetString() != "none") &&
            (fromDocument || method.ValueKind != JsonValueKind.String || !SecretMethods.Contains(method.GetString())))
        {
            problem = method.ValueKind == JsonValueKind.String && SecretMethods.Contains(method.GetString())
                ? "A client registered this way cannot authenticate with a shared secret: token_endpoint_auth_method must be 'none'."
                : "The only token_endpoint_auth_method supported for these clients is 'none' (public client with PKCE).";
            return null;
        }

        if (!root.TryGetProperty("redirect_uris", out var redirects) || redirects.ValueKind != JsonValueKind.Array || redirects.GetArrayLength() is 0 or > 10)
        {
            problem = "redirect_uris must be an array of 1 to 10 URIs.";
            redirectUrisInvalid = true;
            return null;
        }

        var uris = new List<Uri>();
        foreach (var value in redirects.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 and <= 2000 } text ||
                !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Fragment.Length > 0 || !IsAcceptableRedirect(uri))
            {
                problem = "Each redirect URI must be an absolute https URI, an http loopback URI or a private-use scheme (RFC 8252), without fragment.";
                redirectUrisInvalid = true;
                return null;
            }

            uris.Add(uri);
        }

        var grants = Strings(root, "grant_types") ?? ["authorization_code"];
        if (grants.Count == 0 || grants.Any(g => g is not ("authorization_code" or "refresh_token")) || !grants.Contains("authorization_code"))
        {
            problem = "grant_types may name authorization_code and refresh_token only, and must include authorization_code.";
            return null;
        }

        var responses = Strings(root, "response_types") ?? ["code"];
        if (responses.Count == 0 || responses.Any(r => r != "code"))
        {
            problem = "response_types may name 'code' only.";
            return null;
        }

        IReadOnlyList<string>? scopes = null;
        if (root.TryGetProperty("scope", out var scope))
        {
            if (scope.ValueKind != JsonValueKind.String || scope.GetString()!.Length > 1000)
            {
                problem = "scope must be a space-separated string.";
                return null;
            }

            scopes = scope.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        string? name = null;
        if (root.TryGetProperty("client_name", out var clientName))
        {
            if (clientName.ValueKind != JsonValueKind.String || clientName.GetString()!.Length > 100 || clientName.GetString()!.Any(char.IsControl))
            {
                problem = "client_name must be a string of at most 100 printable characters.";
                return null;
            }

            name = clientName.GetString();
        }

        Uri? home = null;
        if (root.TryGetProperty("client_uri", out var clientUri) &&
            (clientUri.ValueKind != JsonValueKind.String || !Uri.TryCreate(clientUri.GetString(), UriKind.Absolute, out home) || home.Scheme != Uri.UriSchemeHttps))
        {
            problem = "client_uri must be an https URL.";
            return null;
        }

        problem = null;
        return new ClientMetadataDocument
        {
            ClientId = clientId, ClientName = name, ClientUri = home, RedirectUris = uris, GrantTypes = grants.Distinct().ToArray(), Scopes = scopes,
        };
    }

    /// <summary>https; http on a loopback host (RFC 8252 §7.3); or a private-use scheme with a dot in it (§7.1).</summary>
    internal static bool IsAcceptableRedirect(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps ||
        (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback) ||
        (uri.Scheme.Contains('.', StringComparison.Ordinal) && uri.Scheme is not ("javascript" or "data" or "file"));

    private static List<string>? Strings(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var array))
        {
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > 10)
        {
            return [];
        }

        var values = new List<string>();
        foreach (var value in array.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return [];
            }

            values.Add(value.GetString()!);
        }

        return values;
    }
}
