using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>What every API of the pack carries, whichever host maps it.</summary>
internal static class ApiConventions
{
    /// <summary>
    /// The caller guard (<see cref="ApiCallerGuard"/>), then, outermost first, the filters every request of the API
    /// passes: the failure filter, the token check against the policy named <paramref name="policy"/>
    /// (<see cref="ScopedBearer"/>), and the audit of what the endpoint answered (<see cref="ApiAuditFilter"/>).
    /// Endpoint filters added later run inside these, so their refusals are audited too. Callers authenticate with a
    /// bearer token, never a cookie, so there is no antiforgery check to make. The problems every endpoint may answer are
    /// described for OpenAPI.
    /// </summary>
    public static TBuilder WithLumoAgentsApiConventions<TBuilder>(this TBuilder builder, IEndpointRouteBuilder endpoints, string policy, string tag)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.DisableAntiforgery().WithTags(tag).WithMetadata(ApiCallerGuard.For(endpoints.ServiceProvider));
        builder.AddEndpointFilter(ApiFailureFilter.InvokeAsync);
        builder.AddEndpointFilter(new ScopedBearer(policy));
        builder.AddEndpointFilter(ApiAuditFilter.InvokeAsync);
        foreach (var status in new[] { StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable })
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ["application/problem+json"]));
        }

        return builder;
    }
}
