using System.Security.Claims;
using LumoAuth.Agents.OpenIddict.Handlers;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>
/// Client credentials for the sample's own service clients that are not agents (the admin console): the agent pack
/// leaves those to the host. OpenIddict has already checked the client's secret and its scope permissions.
/// </summary>
internal sealed class ServiceClientCredentials : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseSingletonHandler<ServiceClientCredentials>()
            .SetOrder(LumoAgentsServerHandlers.ClientCredentials.IssueToken.Descriptor.Order + 1_000) // after the pack decided agents' requests
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        if (!context.Request.IsClientCredentialsGrantType() || context.IsRequestHandled || context.IsRejected || context.Principal is not null || context.ClientId is null)
        {
            return ValueTask.CompletedTask;
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, "client:" + context.ClientId);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(context.Request.GetScopes());
        principal.SetAudiences("acme-corp-api");
        principal.SetAccessTokenLifetime(TimeSpan.FromMinutes(10));
        principal.SetDestinations(_ => [Destinations.AccessToken]);
        context.SignIn(principal);
        return ValueTask.CompletedTask;
    }
}
