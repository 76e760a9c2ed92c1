using System.Reflection;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// How an endpoint's refusals (<see cref="ApiRefusal"/>) and changes (<see cref="AgentChange{TResult}"/>) go into the
/// audit trail; endpoint metadata read by <see cref="ApiAuditFilter"/>. Without it a refusal is one API refusal record of
/// the authenticated caller (<c>api:{method} {route}</c>), as for every read.
/// </summary>
internal class ApiAudit
{
    /// <summary>The audit of endpoints that change nothing.</summary>
    public static readonly ApiAudit Reads = new();

    public virtual async ValueTask RefusedAsync(HttpContext http, ApiRefusal refusal) =>
        await ScopedBearer.AuditAsync(http, http.User, refusal.Code, OAuthErrors.InvalidRequest, refusal.Describe());

    public virtual ValueTask ChangedAsync(HttpContext http, string agentId) =>
        throw new InvalidOperationException($"{http.Request.Method} {http.Request.Path} reports a change but declares no audit for it.");

    /// <summary>Who asked, for the record: the authenticated caller's client and address.</summary>
    public static AuditContext Context(HttpContext http) => new()
    {
        ClientId = http.User.GetClaim(OpenIddictConstants.Claims.ClientId),
        ClientIp = http.Connection.RemoteIpAddress?.ToString(),
    };
}

/// <summary>
/// A change an API made to the agent <see cref="IAgentChange.AgentId"/>, and the answer to make once it is recorded
/// (<typeparamref name="TResult"/>, whose OpenAPI description the endpoint keeps). The audit filter records the change
/// before it asks for the answer, so a read the answer needs cannot fail between the change and its record.
/// </summary>
internal sealed class AgentChange<TResult>(string agentId, Func<Task<TResult>> answer) : IAgentChange, IEndpointMetadataProvider
    where TResult : IResult, IEndpointMetadataProvider
{
    public string AgentId => agentId;

    public async Task<IResult> AnswerAsync() => await answer();

    public async Task ExecuteAsync(HttpContext httpContext) => await (await answer()).ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => TResult.PopulateMetadata(method, builder);
}

/// <summary>Makes <see cref="AgentChange{TResult}"/>s.</summary>
internal static class AgentChange
{
    public static AgentChange<TResult> Of<TResult>(string agentId, Func<TResult> answer) where TResult : IResult, IEndpointMetadataProvider =>
        new(agentId, () => Task.FromResult(answer()));

    public static AgentChange<TResult> Of<TResult>(string agentId, Func<Task<TResult>> answer) where TResult : IResult, IEndpointMetadataProvider =>
        new(agentId, answer);
}

/// <summary>The agent an <see cref="AgentChange{TResult}"/> changed, and its answer.</summary>
internal interface IAgentChange : IResult
{
    string AgentId { get; }

    Task<IResult> AnswerAsync();
}

/// <summary>
/// Records what an endpoint answered, once, after it answered: every <see cref="ApiRefusal"/> and every
/// <see cref="AgentChange{TResult}"/>, found inside a <c>Results&lt;…&gt;</c> union too, through the endpoint's
/// <see cref="ApiAudit"/>. Refusals of the token check are not seen here: <see cref="ScopedBearer"/> records those
/// itself, aggregated for callers without a valid token.
/// </summary>
internal static class ApiAuditFilter
{
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var http = context.HttpContext;
        var audit = http.GetEndpoint()?.Metadata.GetMetadata<ApiAudit>() ?? ApiAudit.Reads;
        for (var answer = result as IResult; answer is not null; answer = (answer as INestedHttpResult)?.Result)
        {
            if (answer is ApiRefusal refusal)
            {
                await audit.RefusedAsync(http, refusal);
                break;
            }

            if (answer is IAgentChange change)
            {
                await audit.ChangedAsync(http, change.AgentId);
                return await change.AnswerAsync();
            }
        }

        return result;
    }
}
