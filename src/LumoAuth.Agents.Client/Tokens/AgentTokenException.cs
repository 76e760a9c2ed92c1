namespace LumoAuth.Agents.Client;

/// <summary>
/// The token server (or a resource) refused a request: carries the HTTP status, the OAuth error
/// (<c>invalid_grant</c>, <c>invalid_target</c>…), the stable refusal code (<c>error_code</c>, documented by the
/// server) and the description.
/// </summary>
public class AgentTokenException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentTokenException(int status, string? error, string? errorCode, string? description)
        : this(status, error, errorCode, description, null)
    {
    }

    /// <summary>Creates the exception with extra text appended to the message.</summary>
    protected AgentTokenException(int status, string? error, string? errorCode, string? description, string? detail)
        : base($"{status} {error}{(errorCode is null ? string.Empty : " (" + errorCode + ")")}: {description}{detail}")
    {
        Status = status;
        Error = error;
        ErrorCode = errorCode;
        Description = description;
    }

    /// <summary>Creates the exception.</summary>
    public AgentTokenException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public AgentTokenException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AgentTokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status (0 when the server could not be reached).</summary>
    public int Status { get; }

    /// <summary>The OAuth error (for example <c>invalid_grant</c>).</summary>
    public string? Error { get; }

    /// <summary>The stable refusal code (<c>error_code</c>), for example <c>consent_required</c>.</summary>
    public string? ErrorCode { get; }

    /// <summary>The server's description.</summary>
    public string? Description { get; }
}
