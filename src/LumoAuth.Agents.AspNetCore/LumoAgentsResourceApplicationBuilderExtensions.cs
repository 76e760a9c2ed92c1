using LumoAuth.Agents.AspNetCore.AAuth;
using LumoAuth.Agents.AspNetCore.Bearer;
using LumoAuth.Agents.AspNetCore.Metering;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// Kept in the ASP.NET Core builder namespace, beside the host's other Use* calls and endpoint conventions.
namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// The resource server's middleware and endpoints: AAuth-signed requests, API-call metering and the protected resource
/// metadata.
/// </summary>
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

    /// <summary>
    /// Serves this resource's RFC 9728 metadata from the bearer options of <paramref name="scheme"/> (whose
    /// <c>Resource</c> must be set): at <c>/.well-known/oauth-protected-resource</c> followed by the resource's path
    /// (RFC 9728 §3.1) and, for a resource with a path, also at the bare well-known address that clients of earlier
    /// drafts read. Anonymous, never metered.
    /// </summary>
    public static IEndpointConventionBuilder MapLumoAgentsProtectedResourceMetadata(this IEndpointRouteBuilder endpoints,
        string scheme = LumoAgentsBearerDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(scheme);
        var options = endpoints.ServiceProvider.GetRequiredService<IOptionsMonitor<LumoAgentsBearerOptions>>().Get(scheme);
        var resource = options.Resource ?? throw new InvalidOperationException(
            $"MapLumoAgentsProtectedResourceMetadata needs the resource's identifier: set LumoAgentsBearerOptions.Resource for the scheme '{scheme}'.");
        var path = ProtectedResourceMetadata.PathOf(resource);
        var patterns = path.Length == 0 ? new[] { ProtectedResourceMetadata.WellKnownSegment } : [ProtectedResourceMetadata.WellKnownSegment + path, ProtectedResourceMetadata.WellKnownSegment];
        var group = endpoints.MapGroup(string.Empty);
        foreach (var pattern in patterns)
        {
            group.MapGet(pattern, (HttpContext http) => ProtectedResourceMetadata.WriteAsync(http, options)).ExcludeFromDescription();
        }

        group.AllowAnonymous();
        group.WithMetadata(new SkipApiCallMeteringAttribute());
        return group;
    }
}
