namespace LumoAuth.Agents.Client.AAuth;

/// <summary>The token server or a resource refused an AAuth request; carries the OAuth error, its stable code and the signature error.</summary>
public sealed class AAuthException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AAuthException(int status, string? error, string? errorCode, string? description, string? signatureError)
        : base($"{status} {error}{(errorCode is null ? string.Empty : " (" + errorCode + ")")}: {description}{(signatureError is null ? string.Empty : " [Signature-Error: " + signatureError + "]")}")
    {
        Status = status;
        Error = error;
        ErrorCode = errorCode;
        Description = description;
        SignatureError = signatureError;
    }

    /// <summary>Creates the exception.</summary>
    public AAuthException()
        : this(0, null, null, null, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AAuthException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AAuthException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The OAuth error (for example <c>invalid_grant</c>).</summary>
    public string? Error { get; }

    /// <summary>The stable refusal code (<c>error_code</c>).</summary>
    public string? ErrorCode { get; }

    /// <summary>The description.</summary>
    public string? Description { get; }

    /// <summary>The <c>Signature-Error</c> header, when the signature was refused.</summary>
    public string? SignatureError { get; }
}
