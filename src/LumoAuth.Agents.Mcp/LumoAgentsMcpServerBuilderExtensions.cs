using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.Mcp;

// Kept in the dependency-injection namespace, beside the SDK's own AddMcpServer() builder methods.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The pack's rules for an MCP server's tools.</summary>
public static class LumoAgentsMcpServerBuilderExtensions
{
    /// <summary>
    /// Each tool declares what it needs with <see cref="RequireAgentAttribute"/> on its method or class (capabilities,
    /// acting for a user, maximum chain depth; several attributes add up). <c>tools/list</c> then shows a caller only the
    /// tools it may call, a <c>tools/call</c> of another is refused with a JSON-RPC error (or, for a missing scope, a
    /// step-up challenge from <c>MapLumoAgentsMcp</c>), and each call of an agent is counted against its API-call budget
    /// when <c>AddApiCallMetering</c> is registered. Needs <c>AddLumoAgentsResourceServer</c>.
    /// </summary>
    public static IMcpServerBuilder AddLumoAgentsToolPolicies(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpContextAccessor();
        builder.AddAuthorizationFilters();
        builder.WithRequestFilters(filters => filters.AddCallToolFilter(McpToolMetering.Filter));
        return builder;
    }
}
