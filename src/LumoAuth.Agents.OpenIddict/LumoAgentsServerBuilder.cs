using System.ComponentModel;
using LumoAuth.Agents.Configuration;

// Kept in the DI namespace, beside OpenIddict's own builders.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Returned by <c>UseLumoAgents()</c>: sets the pack's token-server options in code. The same options are bound from the
/// <c>LumoAgents</c> configuration section and set by <c>AddLumoAgents(o =&gt; …)</c>; they are validated at start-up,
/// and the host fails to start naming every bad value. Use <c>UseLumoAgents(agents =&gt; …)</c> to go on configuring
/// the OpenIddict server in the same chain.
/// </summary>
public sealed class LumoAgentsServerBuilder
{
    internal LumoAgentsServerBuilder(IServiceCollection services) => Services = services;

    /// <summary>The host's service collection.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public IServiceCollection Services { get; }

    /// <summary>
    /// Requires the acting agent to authenticate as a confidential client on token exchange (RFC 8693 section 5), so a
    /// stolen subject and actor token pair is useless without the agent's secret. Off by default: the actor token alone
    /// proves the agent (<see cref="LumoAgentsOptions.RequireClientAuthenticationForExchange"/>).
    /// </summary>
    public LumoAgentsServerBuilder RequireClientAuthenticationForExchange() =>
        Configure(options => options.RequireClientAuthenticationForExchange = true);

    /// <summary>
    /// Sets the audience of tokens whose request names none (<see cref="LumoAgentsOptions.DefaultAudience"/>). Without it,
    /// such a request is refused (<c>audience_required</c>); client credentials cannot name one, since OpenIddict takes
    /// <c>audience</c> on token exchange only.
    /// </summary>
    /// <param name="audience">The audience, with no space in it.</param>
    public LumoAgentsServerBuilder SetDefaultAudience(string audience)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        return Configure(options => options.DefaultAudience = audience);
    }

    /// <summary>
    /// Keeps an OpenIddict token entry for every access token issued to an agent, to list or revoke them through
    /// OpenIddict's token manager (<see cref="LumoAgentsOptions.StoreAgentAccessTokens"/>).
    /// </summary>
    public LumoAgentsServerBuilder StoreAgentAccessTokens() => Configure(options => options.StoreAgentAccessTokens = true);

    /// <summary>Changes any of the pack's options in code.</summary>
    /// <param name="configure">The change.</param>
    public LumoAgentsServerBuilder Configure(Action<LumoAgentsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }
}
