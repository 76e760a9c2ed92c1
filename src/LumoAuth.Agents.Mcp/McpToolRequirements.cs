using LumoAuth.Agents.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace LumoAuth.Agents.Mcp;

/// <summary>What a tool declares it needs, read from its <see cref="RequireAgentAttribute"/>s (on the method or its class).</summary>
internal static class McpToolRequirements
{
    /// <summary>The tool named <paramref name="name"/> of the MCP server in <paramref name="services"/>, or <see langword="null"/>.</summary>
    public static McpServerTool? Find(IServiceProvider services, string name) =>
        services.GetService<IOptions<McpServerOptions>>()?.Value.ToolCollection is { } tools && tools.TryGetPrimitive(name, out var tool) ? tool : null;

    /// <summary>The capabilities (scopes) the tool needs: every <c>Capabilities</c> of every <see cref="RequireAgentAttribute"/> on it.</summary>
    public static IReadOnlyList<string> Capabilities(McpServerTool tool) =>
        [.. tool.Metadata.OfType<RequireAgentAttribute>()
            .SelectMany(a => (a.Capabilities ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Distinct(StringComparer.Ordinal)];
}
