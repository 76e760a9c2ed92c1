using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Shared;

/// <summary>
/// Why a JWT failed validation: the kind (<see cref="TokenFailure"/>), from IdentityModel's exception types, and the
/// words every refusal on the resource side uses for it ("it has expired"). Code branches on the kind, never the words.
/// </summary>
internal static class TokenValidationText
{
    /// <summary>The kind of <paramref name="failure"/>.</summary>
    public static TokenFailure Classify(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => TokenFailure.Expired,
        SecurityTokenNotYetValidException => TokenFailure.NotYetValid,
        SecurityTokenInvalidTypeException => TokenFailure.WrongType,
        SecurityTokenInvalidIssuerException => TokenFailure.WrongIssuer,
        SecurityTokenInvalidAudienceException => TokenFailure.WrongAudience,
        SecurityTokenNoExpirationException => TokenFailure.NoExpiry,
        SecurityTokenSignatureKeyNotFoundException => TokenFailure.UnknownKey,
        SecurityTokenInvalidSignatureException => TokenFailure.BadSignature,
        SecurityTokenInvalidAlgorithmException => TokenFailure.AlgorithmNotAllowed,
        _ => TokenFailure.Invalid,
    };

    /// <summary>
    /// The reason for <paramref name="failure"/>, without a final full stop. <paramref name="recipient"/> names who the
    /// token should have been for ("resource"), <paramref name="issuer"/> who publishes its keys ("the token server"),
    /// <paramref name="type"/> the <c>typ</c> it should have had.
    /// </summary>
    public static string Describe(TokenFailure failure, string recipient, string issuer, string? type = null) => failure switch
    {
        TokenFailure.Malformed => "it is not a signed JWT of reasonable size",
        TokenFailure.Expired => "it has expired",
        TokenFailure.NotYetValid => "it is not valid yet",
        TokenFailure.WrongType => type is null ? "its type is not accepted" : $"it is not of type {type}",
        TokenFailure.WrongIssuer => "it was issued by another server",
        TokenFailure.WrongAudience => $"it was not issued for this {recipient}",
        TokenFailure.NoExpiry => "it has no expiry",
        TokenFailure.UnknownKey => $"it names a key {issuer} does not publish",
        TokenFailure.BadSignature => "its signature does not verify",
        TokenFailure.AlgorithmNotAllowed => "its algorithm is not accepted",
        _ => "it does not validate",
    };

    /// <summary>The reason for the exception <paramref name="failure"/>: <see cref="Describe(TokenFailure, string, string, string?)"/> of its kind.</summary>
    public static string Describe(Exception? failure, string recipient, string issuer, string? type = null) =>
        Describe(Classify(failure), recipient, issuer, type);
}
