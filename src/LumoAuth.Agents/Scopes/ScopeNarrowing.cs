using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Scopes;

/// <summary>
/// Checks a requested scope against each set it must stay within, in order, and names the first scope and
/// set it breaks. One place for "scopes only narrow" (RFC 8693 §2.1, RFC 9700 §2.3).
/// </summary>
internal static class ScopeNarrowing
{
    /// <summary>One bound a request must stay within.</summary>
    /// <param name="Allowed">The scopes allowed by this bound.</param>
    /// <param name="Code">The refusal code when a requested scope is outside it.</param>
    /// <param name="What">Words naming the bound, e.g. "the agent's capabilities".</param>
    public sealed record Bound(ScopeSet Allowed, string Code, string What);

    /// <summary>
    /// Returns the first refusal for <paramref name="requested"/>, or <see langword="null"/> when every scope
    /// is syntactically valid and within every bound.
    /// </summary>
    public static AgentError? Check(IEnumerable<string> requested, params Bound[] bounds)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(bounds);
        foreach (var scope in requested)
        {
            if (!ScopeSet.IsValidToken(scope))
            {
                return new AgentError(AgentErrorCodes.ScopeMalformed, OAuthErrors.InvalidScope, $"The scope value '{ErrorText.Printable(scope)}' is not a valid scope token.");
            }

            foreach (var bound in bounds)
            {
                if (!bound.Allowed.Contains(scope))
                {
                    return new AgentError(bound.Code, OAuthErrors.InvalidScope, $"The scope '{ErrorText.Echo(scope)}' is not in {bound.What}.");
                }
            }
        }

        return null;
    }
}
