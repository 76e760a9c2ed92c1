using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Verification;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Dpop;

/// <summary>What a DPoP proof is checked against: the request it came with, and at a resource the token it accompanies.</summary>
public sealed record DpopProofRequest
{
    /// <summary>Every value of the request's <c>DPoP</c> header (exactly one is accepted).</summary>
    public required IReadOnlyList<string> Proofs { get; init; }

    /// <summary>The request's HTTP method.</summary>
    public required string Method { get; init; }

    /// <summary>The request's absolute URI as the client addressed it (query and fragment are ignored).</summary>
    public required Uri Uri { get; init; }

    /// <summary>At a resource: the access token the proof accompanies, whose hash <c>ath</c> must be.</summary>
    public string? AccessToken { get; init; }

    /// <summary>The thumbprint the proof's key must have (<c>cnf.jkt</c> of the token, or of a bound actor token).</summary>
    public string? ExpectedThumbprint { get; init; }

    /// <summary>The nonce the server requires in the proof, or null when it requires none.</summary>
    public Func<string?, bool>? NonceIsValid { get; init; }
}

/// <summary>An accepted proof: the RFC 7638 thumbprint of its key (what tokens are bound to) and its <c>jti</c>.</summary>
public sealed record DpopProof(string Thumbprint, string Jti, DateTimeOffset IssuedAt);

/// <summary>A proof's outcome: the proof, or the RFC 9449 error (<c>invalid_dpop_proof</c>, <c>use_dpop_nonce</c>) and why.</summary>
public sealed record DpopProofOutcome(DpopProof? Proof, string? Error, string? Description)
{
    /// <summary><c>invalid_dpop_proof</c> (RFC 9449 §5, §7.1).</summary>
    public const string InvalidProof = "invalid_dpop_proof";

    /// <summary><c>use_dpop_nonce</c> (RFC 9449 §8, §9).</summary>
    public const string UseNonce = "use_dpop_nonce";

    internal static DpopProofOutcome Refused(string description) => new(null, InvalidProof, description);
}

/// <summary>
/// Checks a DPoP proof as RFC 9449 §4.3 lists: one <c>DPoP</c> header holding one JWT; <c>typ</c> <c>dpop+jwt</c>; an
/// algorithm from the allow-list (never <c>none</c> or a MAC); a public key in <c>jwk</c> (no private member) that verifies
/// the signature; <c>htm</c> and <c>htu</c> equal to the request's method and URI (scheme and host case-insensitive,
/// default ports dropped, no query or fragment, path exact: a trailing slash differs); <c>iat</c> within the window;
/// <c>jti</c> not seen before (through the shared nonce store, so across instances); at a resource <c>ath</c> equal to the
/// token's SHA-256 hash; the key's thumbprint equal to the one the token is bound to; and the server's nonce when it asks
/// for one. Every refusal says which check failed.
/// </summary>
public sealed class DpopProofValidator
{
    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

    // Keys by RFC 7638 thumbprint: an agent proves the same key on every request, and a key object IdentityModel has seen
    // before keeps its verifier, instead of a new one built from the jwk each time. The thumbprint covers every member
    // the key is made of, so a cached key is exactly the presented one. Bounded: cleared when full.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, JsonWebKey> Keys = new(StringComparer.Ordinal);
    private const int MaxCachedKeys = 10_000;
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    private readonly ISignatureNonceStore _replay;
    private readonly TimeProvider _time;

    /// <summary>Creates the validator; <paramref name="replay"/> shared by all instances makes replay protection hold for all.</summary>
    public DpopProofValidator(ISignatureNonceStore replay, TimeProvider time)
    {
        _replay = replay;
        _time = time;
    }

    /// <summary>Checks <paramref name="request"/>'s proof under <paramref name="options"/>.</summary>
    public async ValueTask<DpopProofOutcome> ValidateAsync(DpopProofRequest request, DpopOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        if (request.Proofs.Count != 1 || request.Proofs[0].Contains(',', StringComparison.Ordinal))
        {
            return DpopProofOutcome.Refused(request.Proofs.Count == 0 ? "The request carries no DPoP proof." : "The request carries more than one DPoP proof.");
        }

        var text = request.Proofs[0].Trim();
        if (text.Length == 0 || text.Length > options.MaxProofLength || text.Count(c => c == '.') != 2)
        {
            return DpopProofOutcome.Refused("The DPoP proof is not a signed JWT of reasonable size.");
        }

        JsonWebToken proof;
        JsonObject? jwk;
        try
        {
            proof = new JsonWebToken(text);
            jwk = proof.TryGetHeaderValue<JsonElement>("jwk", out var element) && element.ValueKind == JsonValueKind.Object
                ? JsonNode.Parse(element.GetRawText()) as JsonObject
                : null;
        }
        catch (Exception exception) when (exception is ArgumentException or JsonException)
        {
            return DpopProofOutcome.Refused("The DPoP proof is not a well-formed JWT.");
        }

        if (!string.Equals(proof.Typ, "dpop+jwt", StringComparison.Ordinal))
        {
            return DpopProofOutcome.Refused("The DPoP proof's typ must be 'dpop+jwt'.");
        }

        if (!options.Algorithms.Contains(proof.Alg, StringComparer.Ordinal))
        {
            return DpopProofOutcome.Refused($"The DPoP proof's algorithm '{Echo(proof.Alg)}' is not accepted; use one of {string.Join(", ", options.Algorithms)}.");
        }

        if (jwk is null)
        {
            return DpopProofOutcome.Refused("The DPoP proof has no public key in its jwk header.");
        }

        if (PrivateMembers.FirstOrDefault(jwk.ContainsKey) is { } member || jwk["kty"]?.GetValueKind() != JsonValueKind.String || (string?)jwk["kty"] is not ("EC" or "RSA"))
        {
            return DpopProofOutcome.Refused("The DPoP proof's jwk must be a public EC or RSA key, with no private member.");
        }

        string thumbprint;
        JsonWebKey key;
        try
        {
            thumbprint = JwkThumbprint.Compute(jwk);
            if (!Keys.TryGetValue(thumbprint, out key!))
            {
                key = new JsonWebKey(jwk.ToJsonString());
                if (Keys.Count >= MaxCachedKeys)
                {
                    Keys.Clear();
                }

                Keys[thumbprint] = key;
            }
        }
        catch (ArgumentException)
        {
            return DpopProofOutcome.Refused("The DPoP proof's jwk is not a well-formed key.");
        }

        var signature = await Tokens.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = options.Algorithms,
            ValidTypes = ["dpop+jwt"],
            RequireSignedTokens = true,
            RequireExpirationTime = false,
            ValidateLifetime = false,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateIssuerSigningKey = false,
            TryAllIssuerSigningKeys = true, // the one key, which a proof names by value rather than by kid
        });
        if (!signature.IsValid)
        {
            return DpopProofOutcome.Refused("The DPoP proof's signature does not verify with its jwk.");
        }

        if (!proof.TryGetPayloadValue<string>("jti", out var jti) || jti.Length is 0 or > 256)
        {
            return DpopProofOutcome.Refused("The DPoP proof needs a jti of at most 256 characters.");
        }

        if (!proof.TryGetPayloadValue<string>("htm", out var htm) || !string.Equals(htm, request.Method, StringComparison.Ordinal))
        {
            return DpopProofOutcome.Refused($"The DPoP proof's htm is not this request's method ({request.Method}).");
        }

        if (!proof.TryGetPayloadValue<string>("htu", out var htu) || !Uri.TryCreate(htu, UriKind.Absolute, out var proofUri) ||
            proofUri.Query.Length > 0 || proofUri.Fragment.Length > 0 || !string.Equals(Target(proofUri), Target(request.Uri), StringComparison.Ordinal))
        {
            return DpopProofOutcome.Refused($"The DPoP proof's htu is not this request's URI ({Target(request.Uri)}), without query or fragment.");
        }

        if (!proof.TryGetPayloadValue<long>("iat", out var iat))
        {
            return DpopProofOutcome.Refused("The DPoP proof has no iat.");
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(iat, 0, 253402300799));
        var now = _time.GetUtcNow();
        if (issuedAt < now - options.ProofLifetime || issuedAt > now + options.ClockSkew)
        {
            return DpopProofOutcome.Refused($"The DPoP proof's iat is outside the accepted window (at most {options.ProofLifetime.TotalSeconds:0} s old, {options.ClockSkew.TotalSeconds:0} s ahead).");
        }

        if (request.AccessToken is { } token)
        {
            var expected = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
            if (!proof.TryGetPayloadValue<string>("ath", out var ath) || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ath), Encoding.ASCII.GetBytes(expected)))
            {
                return DpopProofOutcome.Refused("The DPoP proof's ath is not the hash of the access token it accompanies.");
            }
        }

        if (request.ExpectedThumbprint is { } bound && !string.Equals(bound, thumbprint, StringComparison.Ordinal))
        {
            return DpopProofOutcome.Refused("The DPoP proof is signed by another key than the one the token is bound to (cnf.jkt).");
        }

        if (request.NonceIsValid is { } nonceIsValid && !nonceIsValid(proof.TryGetPayloadValue<string>("nonce", out var nonce) ? nonce : null))
        {
            return new DpopProofOutcome(null, DpopProofOutcome.UseNonce, "The server requires a fresh nonce in the DPoP proof (see the DPoP-Nonce header).");
        }

        // Last, so a proof refused for another reason does not spend its jti.
        if (!await _replay.TryReserveAsync($"dpop|{thumbprint}|{jti}", issuedAt + options.ProofLifetime + options.ClockSkew, cancellationToken))
        {
            return DpopProofOutcome.Refused("The DPoP proof was used before (its jti was seen); make a new proof for each request.");
        }

        return new DpopProofOutcome(new DpopProof(thumbprint, jti, issuedAt), null, null);
    }

    /// <summary>
    /// The URI a proof's <c>htu</c> is compared on: scheme and host in lower case, the port only when not the scheme's
    /// default, and the path as sent (RFC 3986 §6.2.2 and §6.2.3 normalisation, as .NET's <see cref="Uri"/> applies it).
    /// </summary>
    public static string Target(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
    }

    private static string Echo(string? value) => Errors.ErrorText.Echo(value);
}
