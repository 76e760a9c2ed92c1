using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.AspNetCore;

/// <summary>Why a JWT failed validation, in the words every refusal on the resource side uses ("it has expired").</summary>
internal static class TokenValidationText
{
    /// <summary>
    /// The reason for <paramref name="failure"/>, without a final full stop. <paramref name="recipient"/> names who the
    /// token should have been for ("resource"), <paramref name="issuer"/> who publishes its keys ("the token server"),
    /// <paramref name="type"/> the <c>typ</c> it should have had.
    /// </summary>
    public static string Describe(Exception? failure, string recipient, string issuer, string? type = null) => failure switch
    {
        SecurityTokenExpiredException => "it has expired",
        SecurityTokenNotYetValidException => "it is not valid yet",
        SecurityTokenInvalidTypeException => type is null ? "its type is not accepted" : $"it is not of type {type}",
        SecurityTokenInvalidIssuerException => "it was issued by another server",
        SecurityTokenInvalidAudienceException => $"it was not issued for this {recipient}",
        SecurityTokenNoExpirationException => "it has no expiry",
        SecurityTokenSignatureKeyNotFoundException => $"it names a key {issuer} does not publish",
        SecurityTokenInvalidSignatureException => "its signature does not verify",
        SecurityTokenInvalidAlgorithmException => "its algorithm is not accepted",
        _ => "it does not validate",
    };
}
