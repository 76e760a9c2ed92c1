using System.Security.Cryptography;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.OpenIddict.Admin;

/// <summary>The agents themselves: list, read, register, update, and rotate a client secret.</summary>
internal static class AgentRegistryEndpoints
{
    public static async Task<Results<Ok<AgentPage>, ApiRefusal>> ListAsync(HttpContext http, IAgentStore agents)
    {
        var query = new ApiQuery(http);
        var status = query.Choice<AgentStatus>("status");
        var capability = query.Text("capability");
        var owner = query.Text("owner");
        var skip = query.Integer("skip", 0, 0, int.MaxValue);
        var take = query.Integer("take", 50, 1, 100);
        if (!query.IsValid)
        {
            return query.Refusal(AdminConventions.QueryTitle);
        }

        var page = await agents.ListAsync(new AgentQuery { Status = status, Capability = capability, Owner = owner, Skip = skip, Take = take }, http.RequestAborted);
        return TypedResults.Ok(new AgentPage([.. page.Select(AgentView.From)], skip, take));
    }

    public static async Task<Results<Ok<AgentView>, ProblemHttpResult>> GetAsync(string id, HttpContext http, IAgentStore agents)
    {
        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return AdminConventions.AgentUnknown(id).ToResult(http);
        }

        http.Response.Headers.ETag = AgentPrecondition.ETag(agent);
        return TypedResults.Ok(AgentView.From(agent));
    }

    public static async Task<Results<AgentChange<Created<RegisteredAgent>>, ApiRefusal>> RegisterAsync(HttpContext http, IAgentRegistry registry, IAgentClientRegistrar clients)
    {
        var (body, bad) = await ApiJsonBody.ReadAsync<RegistrationRequest>(http, AgentErrorCodes.RegistrationInvalid, "The registration is not valid", RegistrationRequest.NotWritable);
        if (bad is not null)
        {
            return bad;
        }

        if (body!.Id is { Length: > 0 } wanted && await ExistsAsync(wanted))
        {
            return Exists(wanted);
        }

        var secret = body.Confidential ?? true ? Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)) : null;
        var registration = body.ToRegistration(secret);
        AgentRegistrationResult result;
        try
        {
            result = await registry.RegisterAsync(registration, http.RequestAborted);
        }
        catch (InvalidOperationException)
        {
            if (!await ExistsAsync(registration.Id))
            {
                throw;
            }

            // Registered by a concurrent request between the check and the write.
            return Exists(registration.Id);
        }

        if (!result.Succeeded)
        {
            return ApiRefusal.FieldsInvalid(registration.Id, "The registration is not valid", "fields", ApiProblem.Fields(result.Errors));
        }

        var agent = result.Agent!;
        return AgentChange.Of(registration.Id, async () =>
        {
            var stored = await registry.FindAsync(agent.Id, http.RequestAborted) ?? agent;
            http.Response.Headers.ETag = AgentPrecondition.ETag(stored);
            return TypedResults.Created($"{http.Request.PathBase}{http.Request.Path.Value?.TrimEnd('/')}/{Uri.EscapeDataString(agent.Id)}",
                new RegisteredAgent(AgentView.From(stored), secret, secret is null ? null : "Shown once; only a hash is kept."));
        });

        async Task<bool> ExistsAsync(string id) =>
            await registry.FindAsync(id, http.RequestAborted) is not null || await clients.ExistsAsync(id, http.RequestAborted);

        static ApiRefusal Exists(string id) => new(StatusCodes.Status409Conflict, AgentErrorCodes.AgentExists, "The agent already exists",
            $"An agent or client with id '{id}' already exists; nothing was changed. Choose another id, or change the existing agent with PATCH.") { AgentId = id };
    }

    public static async Task<Results<AgentChange<Ok<AgentView>>, ApiRefusal>> UpdateAsync(string id, HttpContext http, IAgentRegistry registry)
    {
        var precondition = AgentPrecondition.Of(http);
        var (body, bad) = await ApiJsonBody.ReadAsync<UpdateRequest>(http, AgentErrorCodes.RegistrationInvalid, "The update is not valid", UpdateRequest.NotWritable);
        if (bad is not null)
        {
            return bad with { AgentId = id };
        }

        var result = precondition.Matches
            ? await registry.UpdateAsync(body!.MergeInto(precondition.Current), precondition.Current.Version, http.RequestAborted)
            : new AgentUpdateResult { Conflict = true };
        if (result.Conflict)
        {
            return precondition.Failed();
        }

        if (result.Agent is not { } updated)
        {
            return ApiRefusal.FieldsInvalid(id, "The update is not valid", "fields", ApiProblem.Fields(result.Errors));
        }

        return AgentChange.Of(id, () =>
        {
            http.Response.Headers.ETag = AgentPrecondition.ETag(updated);
            return TypedResults.Ok(AgentView.From(updated));
        });
    }

    public static async Task<Results<AgentChange<Ok<RotatedSecret>>, ApiRefusal, ProblemHttpResult>> RotateSecretAsync(string id, HttpContext http, IAgentStore agents,
        IAgentClientRegistrar clients)
    {
        var agent = await agents.FindAsync(id, http.RequestAborted);
        if (agent is null)
        {
            return AdminConventions.AgentUnknown(id).ToResult(http);
        }

        if (agent.Status == AgentStatus.Revoked)
        {
            return AdminConventions.Revoked(id, "its credentials cannot be renewed");
        }

        // The old secret stops working at once; the new one is shown here only, and only its hash is kept.
        var secret = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        await clients.SetSecretAsync(id, secret, http.RequestAborted);
        return AgentChange.Of(id, () => TypedResults.Ok(new RotatedSecret(id, secret,
            "Shown once; only a hash is kept. The previous secret no longer works on this server, and on every instance sharing its database within LumoAgents:RegistryCacheDuration (2 seconds by default).")));
    }
}
