using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.AspNetCore;

/// <summary>
/// Writes a resource server's refusals to the audit trail when the API has one (it registered <c>AddLumoAgents()</c>
/// with the token server's store), before the refusal is answered. An API without one only logs them.
/// </summary>
internal static class ResourceAudit
{
    public static async Task RecordRefusalAsync(HttpContext http, string error, string code, string description, AgentCaller? caller)
    {
        if (http.RequestServices.GetService<AuditTrail>() is not { } audit)
        {
            return;
        }

        await audit.RecordProtocolRefusalAsync(error, description, code, new AuditContext
        {
            GrantType = $"resource:{http.Request.Method} {http.Request.Path}",
            ClientId = caller?.ClientId,
            AgentId = caller?.AgentId,
            ScopesRequested = caller is null ? null : string.Join(' ', caller.Scopes),
            ClientIp = http.Connection.RemoteIpAddress?.ToString(),
        }, http.RequestAborted);
    }
}
