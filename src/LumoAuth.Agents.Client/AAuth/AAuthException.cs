namespace LumoAuth.Agents.Client.AAuth;

/// <summary>The token server or a resource refused an AAuth request; adds the <c>Signature-Error</c> to the OAuth error and code.</summary>
public sealed class AAuthException : AgentTokenException
{
    /// <summary>Creates the exception.</summary>
    public AAuthException(int status, string? error, string? errorCode, string? description, string? signatureError)
        : base(status, error, errorCode, description, signatureError is null ? null : " [Signature-Error: " + signatureError + "]")
    {
        SignatureError = signatureError;
    }

    /// <summary>Creates the exception.</summary>
    public AAuthException()
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

    /// <summary>The <c>Signature-Error</c> header, when the signature was refused.</summary>
    public string? SignatureError { get; }
}
