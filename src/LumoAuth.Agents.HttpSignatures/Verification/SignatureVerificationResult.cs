using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;

namespace LumoAuth.Agents.HttpSignatures.Verification;

/// <summary>The outcome of verifying a signed message.</summary>
public sealed record SignatureVerificationResult
{
    /// <summary>Whether the signature was accepted.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>One of <see cref="SignatureErrors"/> when refused.</summary>
    public string? Error { get; init; }

    /// <summary>A human-readable reason when refused (ASCII, safe to return to the caller).</summary>
    public string? Description { get; init; }

    /// <summary>When components were missing: the ones the verifier requires (reported as <c>required_input</c>).</summary>
    public IReadOnlyList<string> RequiredInput { get; init; } = [];

    /// <summary>The value of a <c>Signature-Error</c> header reporting this refusal, or null on success.</summary>
    public string? ToSignatureErrorHeader() => Succeeded || Error is null
        ? null
        : "error=" + Error + (RequiredInput.Count > 0 ? ", required_input=(" + string.Join(' ', RequiredInput.Select(c => new StructuredFields.SfString(c).Serialize())) + ")" : string.Empty);

    /// <summary>The label that was verified.</summary>
    public string? Label { get; init; }

    /// <summary>The key that verified the signature.</summary>
    public HttpSignatureKey? Key { get; init; }

    /// <summary>The signature's parameters.</summary>
    public SignatureParameters? Parameters { get; init; }

    /// <summary>The covered component identifiers, serialized, in order.</summary>
    public IReadOnlyList<string> CoveredComponents { get; init; } = [];

    internal static SignatureVerificationResult Fail(string error, string description, string? label = null) =>
        new() { Succeeded = false, Error = error, Description = description, Label = label };
}

/// <summary>A signature the verifier is about to check, handed to the key resolver.</summary>
/// <param name="Label">The signature's label.</param>
/// <param name="Parameters">Its parameters (the <c>keyid</c> among them).</param>
/// <param name="CoveredComponents">The covered component identifiers.</param>
/// <param name="Message">The message.</param>
public sealed record SignatureCandidate(string Label, SignatureParameters Parameters, IReadOnlyList<string> CoveredComponents, HttpMessage Message);
