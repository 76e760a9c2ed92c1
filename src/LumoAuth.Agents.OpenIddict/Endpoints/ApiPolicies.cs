using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The authorization policies of the pack's APIs, each named after the scope it requires: <c>agents:admin</c> (admin
/// and audit APIs) and <c>agents:usage</c> (usage reports). Each accepts an access token of this server (OpenIddict's
/// validation scheme) holding that scope. Registered by <c>UseLumoAgents()</c>; a policy the host registers under the
/// same name is kept instead. The APIs evaluate them in <see cref="ScopedBearer"/>, whose 403 names the scope.
/// </summary>
internal static class ApiPolicies
{
    /// <summary>The policy, and scope, of the admin and audit APIs.</summary>
    public const string Admin = LumoAgentsAdminEndpoints.AdminScope;

    /// <summary>The policy, and scope, of the usage report API.</summary>
    public const string Usage = LumoAgentsUsageEndpoints.UsageScope;

    public static IServiceCollection AddLumoAgentsApiPolicies(this IServiceCollection services)
    {
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure(options =>
        {
            foreach (var scope in new[] { Admin, Usage })
            {
                if (options.GetPolicy(scope) is null)
                {
                    options.AddPolicy(scope, For(scope));
                }
            }
        });
        return services;
    }

    /// <summary>A token of this server, authenticated, holding <paramref name="scope"/>.</summary>
    public static AuthorizationPolicy For(string scope) =>
        new AuthorizationPolicyBuilder(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(scope))
            .Build();

    /// <summary>True when the policy named <paramref name="policy"/> accepts <paramref name="principal"/>.</summary>
    /// <exception cref="InvalidOperationException">The policy is not registered (the host never called <c>UseLumoAgents()</c>).</exception>
    public static async Task<bool> AuthorizeAsync(IServiceProvider services, ClaimsPrincipal principal, string policy)
    {
        var registered = await (services.GetService<IAuthorizationPolicyProvider>()?.GetPolicyAsync(policy) ?? Task.FromResult<AuthorizationPolicy?>(null))
            ?? throw new InvalidOperationException($"No authorization policy '{policy}' is registered; call UseLumoAgents() on the OpenIddict server builder, which registers it.");
        return (await services.GetRequiredService<IAuthorizationService>().AuthorizeAsync(principal, registered)).Succeeded;
    }
}

/// <summary>Met when the caller's token holds <see cref="Scope"/> (OpenIddict's scope claims).</summary>
internal sealed class ScopeRequirement(string scope) : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    public string Scope => scope;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.HasScope(requirement.Scope))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
