using Microsoft.AspNetCore.Authorization;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>
/// Admin pages for people who would rather look than read JSON: every agent with its status, capabilities, budgets
/// and users' consents (with Suspend, Resume and Revoke), and the newest audit records with each actor chain drawn
/// as a path. Status changes go through the same registry and audit trail as the registry admin API. One Razor page
/// per screen under <c>Pages/Admin</c>, all behind the <see cref="SampleAdministrators.Policy"/> policy.
/// </summary>
internal static class AdminPages
{
    /// <summary>The pages, their policy and the answers to refused visitors.</summary>
    public static IServiceCollection AddAdminPages(this IServiceCollection services)
    {
        services.AddRazorPages(options =>
        {
            options.Conventions.AuthorizeFolder("/Admin", SampleAdministrators.Policy);

            // Each address answers the methods it did as a minimal endpoint and no other (405 otherwise), rather than
            // rendering the page for any method as Razor Pages do.
            options.Conventions.AddFolderRouteModelConvention("/Admin", model =>
            {
                string[] methods = model.ViewEnginePath is "/Admin/AgentStatus" or "/Admin/AgentSettings" ? [HttpMethods.Post] : [HttpMethods.Get];
                foreach (var selector in model.Selectors)
                {
                    selector.EndpointMetadata.Add(new HttpMethodMetadata(methods));
                }
            });
        });
        services.AddAuthorizationBuilder().AddPolicy(SampleAdministrators.Policy, SampleAdministrators.Build);
        services.AddScoped<IAuthorizationHandler, SampleAdministrators.Handler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, SampleAdministrators.RefusalPages>();
        return services;
    }

    /// <summary>Maps the pages; <c>/admin</c> leads to the agents.</summary>
    public static void MapAdminPages(this IEndpointRouteBuilder app)
    {
        // Pages for people, not APIs: kept out of the OpenAPI document.
        app.MapGet("/admin/", () => Results.Redirect("/admin/agents")).ExcludeFromDescription();
        app.MapRazorPages();
    }
}
