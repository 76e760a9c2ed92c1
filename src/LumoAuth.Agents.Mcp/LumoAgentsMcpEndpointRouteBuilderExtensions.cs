using LumoAuth.Agents.AspNetCore.Metering;
using LumoAuth.Agents.Mcp;
using Microsoft.AspNetCore.Routing;

// Kept in the ASP.NET Core builder namespace, beside the SDK's MapMcp.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps an MCP server protected by the pack.</summary>
public static class LumoAgentsMcpEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the MCP endpoint (streamable HTTP) at <paramref name="pattern"/> for authenticated callers only: a request
    /// without a valid token gets the resource server's 401 with <c>resource_metadata</c>, from which an MCP client finds
    /// the token server. A <c>tools/call</c> for a tool whose capabilities the token lacks gets 403
    /// <c>insufficient_scope</c> naming the scope to step up to. A message over 1 MB is refused with 413. The endpoint's HTTP
    /// requests are not metered one by one: tool calls are (<c>AddLumoAgentsToolPolicies</c>).
    /// </summary>
    public static IEndpointConventionBuilder MapLumoAgentsMcp(this IEndpointRouteBuilder endpoints, string pattern = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var mcp = endpoints.MapMcp(pattern);
        mcp.RequireAuthorization();
        mcp.WithMetadata(new SkipApiCallMeteringAttribute());
        mcp.Add(endpoint =>
        {
            var inner = endpoint.RequestDelegate ?? throw new InvalidOperationException("The MCP endpoint has no request delegate.");
            endpoint.RequestDelegate = http => McpStepUp.InvokeAsync(http, inner);
        });
        return mcp;
    }
}
