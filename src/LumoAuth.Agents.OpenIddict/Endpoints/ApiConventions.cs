using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>What every API of the pack carries, whichever host maps it: the caller guard and the failure filter.</summary>
internal static class ApiConventions
{
    public static TBuilder WithLumoAgentsApiConventions<TBuilder>(this TBuilder builder, IEndpointRouteBuilder endpoints)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(ApiCallerGuard.For(endpoints.ServiceProvider));
        builder.AddEndpointFilter(ApiFailureFilter.InvokeAsync);
        return builder;
    }
}
