using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Metering;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace LumoAuth.Agents.Mcp;

/// <summary>
/// Counts each tool call of an agent against its <c>max_api_calls_per_hour</c>, in the ledger the API-call metering
/// uses (<c>AddApiCallMetering</c>). A call past the budget is not run: its result is an error naming
/// <c>budget_exhausted</c> and when to retry. The MCP endpoint's other messages (initialize, tools/list) are not counted.
/// </summary>
internal static class McpToolMetering
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            if (request.User?.GetAgentCaller()?.AgentId is not { } agentId || request.Services?.GetService<IApiCallMeter>() is not { } meter)
            {
                return await next(request, cancellationToken);
            }

            var decision = await meter.CountAsync(agentId, "tool:" + Guid.NewGuid().ToString("N"), cancellationToken);
            if (decision.Allowed)
            {
                return await next(request, cancellationToken);
            }

            var time = request.Services.GetService<TimeProvider>() ?? TimeProvider.System;
            var retryAfter = Math.Max(1, (long)Math.Ceiling(((decision.ResetAt ?? time.GetUtcNow().AddMinutes(1)) - time.GetUtcNow()).TotalSeconds));
            var description = decision.Description ?? $"Agent '{agentId}' has spent its API calls for this hour.";
            return new CallToolResult
            {
                IsError = true,
                Content = [new TextContentBlock { Text = $"{description} Retry after {retryAfter.ToString(CultureInfo.InvariantCulture)} s." }],
                StructuredContent = JsonSerializer.SerializeToElement(new JsonObject
                {
                    ["error"] = LumoAuth.Agents.Errors.OAuthErrors.TemporarilyUnavailable,
                    ["error_code"] = LumoAuth.Agents.Errors.AgentErrorCodes.BudgetExhausted,
                    ["error_description"] = description,
                    ["retry_after"] = retryAfter,
                }),
            };
        };
}
