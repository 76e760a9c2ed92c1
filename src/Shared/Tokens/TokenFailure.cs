namespace LumoAuth.Agents.Shared;

/// <summary>
/// Why a JWT failed validation, as a kind code branches on (key refresh on an unknown key or a bad signature, an
/// <c>expired_jwt</c> signature error on expiry). <see cref="TokenValidationText"/> renders it for people; nothing
/// ever branches on that text.
/// </summary>
internal enum TokenFailure
{
    /// <summary>The token validated.</summary>
    None,

    /// <summary>Not a compact signed JWT of reasonable size.</summary>
    Malformed,

    /// <summary>Past its <c>exp</c>.</summary>
    Expired,

    /// <summary>Before its <c>nbf</c>.</summary>
    NotYetValid,

    /// <summary>Its <c>typ</c> is not the one expected.</summary>
    WrongType,

    /// <summary>Issued by another server.</summary>
    WrongIssuer,

    /// <summary>Not issued for this recipient.</summary>
    WrongAudience,

    /// <summary>It carries no <c>exp</c>.</summary>
    NoExpiry,

    /// <summary>It names a key the issuer does not publish (or no longer does).</summary>
    UnknownKey,

    /// <summary>Its signature does not verify with the issuer's key.</summary>
    BadSignature,

    /// <summary>Its algorithm is not on the allow-list.</summary>
    AlgorithmNotAllowed,

    /// <summary>Another check failed.</summary>
    Invalid,
}
