using LumoAuth.Agents.AspNetCore.AAuth;
using LumoAuth.Agents.AspNetCore.Metering;

// Kept in the ASP.NET Core builder namespace, beside the host's other Use* calls and endpoint conventions.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The resource server's middleware and endpoint conventions: AAuth-signed requests and API-call metering.</summary>
public static class LumoAgentsResourceApplicationBuilderExtensions
{
    /// <summary>Adds the middleware that guards endpoints marked with <see cref="RequireAAuth{TBuilder}"/>.</summary>
    public static IApplicationBuilder UseLumoAgentsAAuth(this IApplicationBuilder app) => app.UseMiddleware<AAuthResourceMiddleware>();

    /// <summary>The endpoint takes only AAuth-signed requests with an auth token carrying <paramref name="scopes"/>.</summary>
    public static TBuilder RequireAAuth<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new AAuthRequirement(scopes ?? []));
        return builder;
    }

    /// <summary>Adds the API-call metering middleware; place it after <c>UseAuthorization()</c>.</summary>
    public static IApplicationBuilder UseLumoAgentsMetering(this IApplicationBuilder app) => app.UseMiddleware<ApiCallMeteringMiddleware>();

    /// <summary>This endpoint's calls are not counted against agents' budgets.</summary>
    public static TBuilder SkipApiCallMetering<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new SkipApiCallMeteringAttribute());
        return builder;
    }
}
