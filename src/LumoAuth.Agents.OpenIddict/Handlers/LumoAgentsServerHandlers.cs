using System.Collections.Immutable;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// The pack's OpenIddict server event handlers, grouped by concern, each group with its <c>DefaultHandlers</c>.
/// <c>UseLumoAgents()</c> registers them all. Every order is relative to a built-in handler, so a host orders its
/// own handlers against these descriptors (e.g. <c>ClientCredentials.IssueToken.Descriptor.Order + 1_000</c> to run after
/// the pack has decided an agent's request).
/// </summary>
public static partial class LumoAgentsServerHandlers
{
    /// <summary>Every handler of the pack.</summary>
    public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
    [
        .. Audit.DefaultHandlers,
        .. Exchange.DefaultHandlers,
        .. ClientCredentials.DefaultHandlers,
        .. Delegation.DefaultHandlers,
        .. WorkloadLogin.DefaultHandlers,
        .. UserGrants.DefaultHandlers,
        .. Protection.DefaultHandlers,
        .. Introspection.DefaultHandlers,
        .. Authentication.DefaultHandlers,
        .. Resources.DefaultHandlers,
        .. ClientRegistration.DefaultHandlers,
        .. Dpop.DefaultHandlers,
        .. Approvals.DefaultHandlers,
    ];
}
