using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.SampleHost.Pages.Admin;

/// <summary>
/// SAMPLE ONLY: who may use the admin pages. An administrator is a signed-in user whose name is listed in
/// <c>Sample:Admins</c> (default <c>alice</c>). A real host decides this with roles or a policy over its own user
/// directory; the pages only name the policy.
/// </summary>
internal static class SampleAdministrators
{
    /// <summary>The authorization policy every admin page requires (by folder convention).</summary>
    public const string Policy = "SampleAdministrators";

    /// <summary>The configuration key naming the sample's administrators: comma-separated user names.</summary>
    public const string ConfigurationKey = "Sample:Admins";

    /// <summary>Whether <paramref name="userName"/> is one of the configured administrators.</summary>
    public static bool Includes(IConfiguration configuration, string? userName) =>
        !string.IsNullOrEmpty(userName) &&
        (configuration[ConfigurationKey] ?? "alice").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Contains(userName, StringComparer.OrdinalIgnoreCase);

    /// <summary>The policy: a user signed in with the sample's cookie, still in the user store, and named an administrator.</summary>
    public static void Build(AuthorizationPolicyBuilder policy) => policy
        .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme)
        .RequireAuthenticatedUser()
        .AddRequirements(new Requirement());

    /// <summary>Being one of the configured administrators.</summary>
    public sealed class Requirement : IAuthorizationRequirement;

    /// <summary>Checks the name the user store holds, so a user removed since the sign-in is no administrator.</summary>
    public sealed class Handler(UserManager<IdentityUser> users, IConfiguration configuration) : AuthorizationHandler<Requirement>
    {
        /// <inheritdoc />
        protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, Requirement requirement)
        {
            if (await users.GetUserAsync(context.User) is { } user && Includes(configuration, user.UserName))
            {
                context.Succeed(requirement);
            }
        }
    }

    /// <summary>
    /// How a refused visitor of the admin pages is answered: the anonymous (and a user no longer in the store) are sent
    /// to sign in and brought back, another user gets a 403 page saying who may come in. Other policies keep the
    /// framework's answers.
    /// </summary>
    public sealed class RefusalPages(IOptionsMonitor<CookieAuthenticationOptions> cookies, IModelMetadataProvider metadata) : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _framework = new();

        /// <inheritdoc />
        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Succeeded || !policy.Requirements.OfType<Requirement>().Any())
            {
                await _framework.HandleAsync(next, context, policy, authorizeResult);
                return;
            }

            var users = context.RequestServices.GetRequiredService<UserManager<IdentityUser>>();
            if (!authorizeResult.Forbidden || await users.GetUserAsync(context.User) is not { } user)
            {
                // A form cannot be sent again after the sign-in: a post returns to the agents page it came from.
                var returnUrl = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                    ? context.Request.PathBase + context.Request.Path + context.Request.QueryString
                    : "/admin/agents";
                var login = cookies.Get(IdentityConstants.ApplicationScheme).LoginPath;
                context.Response.Redirect(login + "?returnUrl=" + Uri.EscapeDataString(returnUrl));
                return;
            }

            await new PageMessage("Administrators only", $"{user.UserName} is not an administrator of this sample. Its administrators are the users named in {ConfigurationKey}.")
                .ToResult(StatusCodes.Status403Forbidden, metadata)
                .ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext(context, context.GetRouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));
        }
    }
}
