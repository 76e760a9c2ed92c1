using System.Text;
using LumoAuth.Agents.HttpSignatures.Digests;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Verification;

/// <summary>
/// Verifies RFC 9421 signatures under a <see cref="SignatureVerificationPolicy"/>: parses <c>Signature-Input</c> and
/// <c>Signature</c> strictly (a label given twice is refused, not resolved), checks the covered components, the
/// signature's age and expiry, asks the caller for the key (whose algorithm is the one used), verifies, recomputes
/// <c>Content-Digest</c> from the body, and only then spends the nonce, so forged requests cannot burn nonces.
/// </summary>
public sealed class HttpMessageVerifier(TimeProvider timeProvider, ISignatureNonceStore? nonceStore = null)
{
    /// <summary>Resolves the key for a signature; null when none is known.</summary>
    public delegate ValueTask<HttpSignatureKey?> KeyResolver(SignatureCandidate candidate, CancellationToken cancellationToken);

    /// <summary>Verifies <paramref name="message"/> with <paramref name="body"/> (empty when there is none).</summary>
    public async ValueTask<SignatureVerificationResult> VerifyAsync(
        HttpMessage message, ReadOnlyMemory<byte> body, SignatureVerificationPolicy policy, KeyResolver resolveKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(resolveKey);

        if (!TryReadField(message, "signature-input", out var inputs, out var failure) || !TryReadField(message, "signature", out var signatures, out failure))
        {
            return failure!;
        }

        string label;
        if (policy.Label is { } wanted)
        {
            label = wanted;
        }
        else if (inputs.Count == 1)
        {
            label = inputs[0].Key;
        }
        else
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, "The message carries several signatures and no label was chosen.");
        }

        var input = inputs.FirstOrDefault(m => m.Key == label).Value;
        var signature = signatures.FirstOrDefault(m => m.Key == label).Value;
        if (input is null || signature is null)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The label '{label}' is not in both Signature-Input and Signature.", label);
        }

        if (input is not SfInnerList components)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The Signature-Input entry '{label}' is not an inner list of components.", label);
        }

        if (signature is not SfItem { Value: SfBytes { Value: var signatureBytes } } || signature.Parameters.Count > 0)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The Signature entry '{label}' is not a byte sequence.", label);
        }

        if (!SignatureParameters.TryRead(components.Parameters, out var parameters, out var parameterError))
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, parameterError!, label);
        }

        if (components.Items.Count > policy.MaxComponents)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The signature covers more than {policy.MaxComponents} components.", label);
        }

        var covered = components.Items.Select(item => item.Serialize()).ToList();
        var names = components.Items.Select(item => item.Value is SfString { Value: var name } ? name : string.Empty).ToList();
        if (covered.Count == 0)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.MissingComponent, "The signature covers no component; it would sign nothing about the message.", label) with { RequiredInput = policy.RequiredComponents };
        }

        var missing = policy.RequiredComponents.Where(required => !names.Contains(required, StringComparer.Ordinal))
            .Concat(policy.CoveredWhenPresent.Where(field => message.Values(field).Any() && !CoversPlainField(components, field)))
            .ToList();
        if (policy.RequireContentDigestWithBody && !body.IsEmpty && !CoversPlainField(components, "content-digest"))
        {
            missing.Add("content-digest");
        }

        if (missing.Count > 0)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.MissingComponent, $"The signature does not cover {string.Join(", ", missing.Distinct())}.", label) with { RequiredInput = missing.Distinct().ToList() };
        }

        if (policy.RequiredTag is { } tag && parameters.Tag != tag)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The signature's tag must be '{tag}'.", label);
        }

        var now = timeProvider.GetUtcNow();
        if (parameters.Created is null && policy.RequireCreated)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, "The signature has no 'created' parameter.", label);
        }

        if (parameters.Created is { } created)
        {
            if (created > now + policy.AllowedClockSkew)
            {
                return SignatureVerificationResult.Fail(SignatureErrors.ClockSkew, "The signature's 'created' lies in the future.", label);
            }

            if (created < now - policy.MaxAge)
            {
                return SignatureVerificationResult.Fail(SignatureErrors.Expired, $"The signature is older than {policy.MaxAge.TotalSeconds:0} seconds.", label);
            }
        }

        if (parameters.Expires is { } expires && expires <= now)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.Expired, "The signature's 'expires' has passed.", label);
        }

        if (policy.RequireNonce && string.IsNullOrEmpty(parameters.Nonce))
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, "The signature has no 'nonce' parameter.", label);
        }

        var key = await resolveKey(new SignatureCandidate(label, parameters, covered, message), cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.UnknownKey, "No key is known for this signature.", label);
        }

        if ((parameters.Algorithm is { } alg && alg != key.Algorithm) || (policy.AllowedAlgorithms is { } allowed && !allowed.Contains(key.Algorithm)))
        {
            return SignatureVerificationResult.Fail(SignatureErrors.UnsupportedAlgorithm, $"The signature's algorithm is not the key's ({key.Algorithm}) or is not accepted here.", label);
        }

        if (!SignatureBase.TryBuild(message, components, out var signatureBase, out var baseError))
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, baseError!, label);
        }

        if (!key.Verify(Encoding.ASCII.GetBytes(signatureBase), signatureBytes))
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidSignature, "The signature does not verify.", label);
        }

        if (CoversPlainField(components, "content-digest") || (!body.IsEmpty && message.Values("content-digest").Any()))
        {
            var digest = ContentDigest.Verify(string.Join(", ", message.Values("content-digest")), body.Span);
            if (digest != ContentDigestResult.Valid)
            {
                return SignatureVerificationResult.Fail(SignatureErrors.InvalidDigest, $"The body does not match its Content-Digest ({digest}).", label);
            }
        }

        if (parameters.Nonce is { Length: > 0 } nonce && nonceStore is not null)
        {
            var keepUntil = (parameters.Created ?? now) + policy.MaxAge + policy.AllowedClockSkew;
            var scope = (key.Thumbprint ?? key.KeyId ?? string.Empty) + " " + nonce;
            if (!await nonceStore.TryReserveAsync(scope, keepUntil, cancellationToken).ConfigureAwait(false))
            {
                return SignatureVerificationResult.Fail(SignatureErrors.Replayed, "The signature's nonce was used before; the message is a replay.", label);
            }
        }
        else if (policy.RequireNonce)
        {
            return SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, "A nonce is required but no nonce store is configured.", label);
        }

        return new SignatureVerificationResult { Succeeded = true, Label = label, Key = key, Parameters = parameters, CoveredComponents = covered };
    }

    private static bool CoversPlainField(SfInnerList components, string field) =>
        components.Items.Any(item => item.Value is SfString { Value: var name } && name == field && item.Parameters.Count == 0);

    private static bool TryReadField(HttpMessage message, string name, out IReadOnlyList<KeyValuePair<string, SfMember>> members, out SignatureVerificationResult? failure)
    {
        failure = null;
        members = [];
        var lines = message.Values(name).ToList();
        if (lines.Count == 0)
        {
            failure = SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The message has no {(name == "signature" ? "Signature" : "Signature-Input")} field.");
            return false;
        }

        // RFC 9421 §7.5 / RFC 9110 §5.3: several field lines are one field joined with commas; a label that then
        // appears twice is refused rather than letting one entry silently replace the other.
        if (!SfParser.TryParseDictionary(string.Join(", ", lines), rejectRepeatedKeys: true, out members) || members.Count == 0)
        {
            failure = SignatureVerificationResult.Fail(SignatureErrors.InvalidInput, $"The {(name == "signature" ? "Signature" : "Signature-Input")} field is not a valid dictionary, or repeats a label.");
            return false;
        }

        return true;
    }
}
