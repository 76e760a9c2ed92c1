using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.HttpSignatures.Verification;

namespace LumoAuth.Agents.Shared;

/// <summary>Turns the key conveyed with a signature into a key the verifier trusts, or says why not.</summary>
/// <param name="conveyed">The <c>Signature-Key</c> member (null when the request conveys none and names its key by <c>keyid</c>).</param>
/// <param name="keyId">The signature's <c>keyid</c>, if any.</param>
/// <param name="cancellationToken">Cancels the look-up.</param>
internal delegate ValueTask<ConveyedKeyResolution> ConveyedKeyResolver(ConveyedKey? conveyed, string? keyId, CancellationToken cancellationToken);

/// <summary>The outcome of resolving a conveyed key.</summary>
/// <param name="Key">The trusted verification key, or null.</param>
/// <param name="Error">A <see cref="SignatureErrors"/> code when refused.</param>
/// <param name="Description">Why.</param>
/// <param name="State">Whatever the resolver learned on the way (for example the validated agent token).</param>
internal sealed record ConveyedKeyResolution(HttpSignatureKey? Key, string? Error, string? Description, object? State = null)
{
    /// <summary>A refusal.</summary>
    public static ConveyedKeyResolution Refuse(string error, string description) => new(null, error, description);
}

/// <summary>The outcome of verifying an AAuth request signature.</summary>
internal sealed record AAuthSignatureResult
{
    /// <summary>The verification outcome (key, parameters, error and its <c>Signature-Error</c> header).</summary>
    public required SignatureVerificationResult Signature { get; init; }

    /// <summary>What the key resolver learned (for example the validated agent token).</summary>
    public object? KeyState { get; init; }

    /// <summary>Whether the signature was accepted.</summary>
    public bool Succeeded => Signature.Succeeded;
}

/// <summary>
/// Verifies the signature of an AAuth request, whichever way it travels: RFC 9421 <c>Signature-Input</c> +
/// <c>Signature</c> with the key in <c>Signature-Key</c>, or the seed's single <c>Agent-Auth</c> header (unfolded
/// into the same three). Demands <c>@method</c>, <c>@target-uri</c>, <c>content-digest</c> with a body,
/// <c>authorization</c> and <c>signature-key</c> when present, a fresh <c>created</c>, and a nonce that was never seen
/// before. When the signature names a <c>keyid</c>, it must be the conveyed key's RFC 7638 thumbprint.
/// </summary>
internal sealed class AAuthSignatureVerifier
{
    private readonly HttpMessageVerifier _verifier;

    /// <summary>Creates the verifier.</summary>
    public AAuthSignatureVerifier(TimeProvider time, ISignatureNonceStore nonces) => _verifier = new HttpMessageVerifier(time, nonces);

    /// <summary>The policy AAuth requests are held to, for a given signature age.</summary>
    /// <param name="maxAge">The oldest <c>created</c> accepted.</param>
    /// <remarks>
    /// The conveyed key is always covered: with <c>Agent-Auth</c> the <c>Signature-Key</c> value is rebuilt
    /// deterministically (<c>sig=jwt;jwt="…"</c>), and the signer covers that value, so the agent token cannot be swapped.
    /// </remarks>
    public static SignatureVerificationPolicy Policy(TimeSpan maxAge) => new()
    {
        RequiredComponents = ["@method", "@target-uri"],
        CoveredWhenPresent = ["authorization", "signature-key"],
        RequireContentDigestWithBody = true,
        RequireCreated = true,
        RequireNonce = true,
        MaxAge = maxAge,
        AllowedClockSkew = TimeSpan.FromSeconds(30),
    };

    /// <summary>Verifies <paramref name="message"/>.</summary>
    public async ValueTask<AAuthSignatureResult> VerifyAsync(HttpMessage message, ReadOnlyMemory<byte> body, TimeSpan maxAge, ConveyedKeyResolver resolveKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(resolveKey);
        if (!AgentAuthField.TryUnfold(message.Headers, out var headers, out var carrierError))
        {
            return Fail(SignatureErrors.InvalidInput, carrierError!);
        }

        var unfolded = message with { Headers = headers };
        object? state = null;
        string? keyError = null;
        string? keyDescription = null;
        var result = await _verifier.VerifyAsync(unfolded, body, Policy(maxAge), async (candidate, ct) =>
        {
            ConveyedKey? conveyed = null;
            var keyLines = unfolded.Values("Signature-Key").ToList();
            if (keyLines.Count > 0 && !ConveyedKey.TryRead(keyLines, candidate.Label, out conveyed, out var readError))
            {
                (keyError, keyDescription) = (SignatureErrors.InvalidKey, readError);
                return null;
            }

            var resolution = await resolveKey(conveyed, candidate.Parameters.KeyId, ct);
            if (resolution.Key is null)
            {
                (keyError, keyDescription) = (resolution.Error ?? SignatureErrors.UnknownKey, resolution.Description ?? "No key is known for this signature.");
                return null;
            }

            if (candidate.Parameters.KeyId is { } keyId && resolution.Key.Thumbprint is { } thumbprint && !string.Equals(keyId, thumbprint, StringComparison.Ordinal))
            {
                (keyError, keyDescription) = (SignatureErrors.UnknownKey, "The signature's keyid is not the thumbprint of the key conveyed with it.");
                return null;
            }

            state = resolution.State;
            return resolution.Key;
        }, cancellationToken);

        if (!result.Succeeded && result.Error == SignatureErrors.UnknownKey && keyError is not null)
        {
            result = result with { Error = keyError, Description = keyDescription };
        }

        return new AAuthSignatureResult { Signature = result, KeyState = result.Succeeded ? state : null };
    }

    private static AAuthSignatureResult Fail(string error, string description) =>
        new() { Signature = new SignatureVerificationResult { Succeeded = false, Error = error, Description = description } };
}
