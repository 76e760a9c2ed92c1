namespace LumoAuth.Agents.SampleAgent;

/// <summary>A step the demo needs could not be done; the message is the one line the agent prints before it exits 1.</summary>
public sealed class DemoFailedException : Exception
{
    /// <summary>Creates the failure with its one-line reason.</summary>
    public DemoFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the failure with its one-line reason and its cause.</summary>
    public DemoFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the failure without a reason (prefer the constructors that give one).</summary>
    public DemoFailedException()
    {
    }
}
