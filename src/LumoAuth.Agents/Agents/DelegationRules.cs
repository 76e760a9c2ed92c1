namespace LumoAuth.Agents;

/// <summary>Whether and how far an agent may act for users.</summary>
public sealed record DelegationRules
{
    /// <summary>The default maximum number of actors in a chain.</summary>
    public const int DefaultMaxChainDepth = 3;

    /// <summary>The highest maximum a registration may set.</summary>
    public const int HighestMaxChainDepth = 10;

    /// <summary>
    /// May the agent act for users at all. Requires the <c>delegate:user</c> capability as well;
    /// both must hold before any delegation is issued to it as the first actor.
    /// </summary>
    public bool CanActForUsers { get; init; }

    /// <summary>The most actors a chain that this agent starts or joins may hold (default 3).</summary>
    public int MaxChainDepth { get; init; } = DefaultMaxChainDepth;
}
