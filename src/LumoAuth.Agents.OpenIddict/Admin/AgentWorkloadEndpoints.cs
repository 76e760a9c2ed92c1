using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using LumoAuth.Agents.Workload;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>The workloads an agent logs in as (seed pattern 2): read them, and replace them all.</summary>
internal static class AgentWorkloadEndpoints
{
    public static async Task<Results<Ok<BindingList>, ProblemHttpResult>> ListAsync(string id, HttpContext http, IAgentStore agents, IWorkloadBindingStore bindings)
    {
        if (await agents.FindAsync(id, http.RequestAborted) is null)
        {
            return AdminConventions.AgentUnknown(id).ToResult(http);
        }

        var list = await bindings.ListAsync(id, http.RequestAborted);
        return TypedResults.Ok(new BindingList([.. list.Select(b => new BindingView(b.Issuer, b.Subject, b.Claims))]));
    }

    /// <summary>Checked as at registration; an unknown agent is a recorded refusal here, as the registry finds it so.</summary>
    public static async Task<Results<AgentChange<NoContent>, ApiRefusal>> ReplaceAsync(string id, HttpContext http, IAgentRegistry registry)
    {
        var (body, bad) = await ApiJsonBody.ReadAsync<BindingRequest[]>(http, AgentErrorCodes.RegistrationInvalid, "The bindings are not valid");
        if (bad is not null)
        {
            return bad with { AgentId = id };
        }

        var result = await registry.SetWorkloadBindingsAsync(id, body!.Select(b => new WorkloadBinding
        {
            Issuer = b.Issuer ?? string.Empty,
            Subject = b.Subject ?? string.Empty,
            Claims = new Dictionary<string, string>(b.Claims ?? new Dictionary<string, string>(), StringComparer.Ordinal),
        }).ToList(), http.RequestAborted);
        if (result.NotFound)
        {
            return AdminConventions.AgentUnknown(id);
        }

        if (result.Errors.Count > 0)
        {
            return ApiRefusal.FieldsInvalid(id, "The bindings are not valid", "bindings", ApiProblem.Fields(result.Errors, dropPrefix: "WorkloadBindings"));
        }

        return AgentChange.Of(id, () => TypedResults.NoContent());
    }
}
