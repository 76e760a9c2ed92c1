using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// Client credentials for the host's service clients that are not agents (the API, the gateway, the admin console):
/// the pack leaves those to the host. OpenIddict has already checked the client's secret and scope permissions.
/// </summary>
public sealed class ServiceClientSignIn : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    // After the pack's own handlers whatever their order: an agent's request is signed in or refused by then.
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseSingletonHandler<ServiceClientSignIn>()
            .SetOrder(int.MaxValue - 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.IsClientCredentialsGrantType() || context.IsRequestHandled || context.IsRejected || context.Principal is not null || context.ClientId is null)
        {
            return ValueTask.CompletedTask;
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, "client:" + context.ClientId);
        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(context.Request.GetScopes());
        principal.SetAudiences(TestTenant.DefaultAudience);
        principal.SetAccessTokenLifetime(TimeSpan.FromMinutes(10));
        principal.SetDestinations(_ => [Destinations.AccessToken]);
        context.SignIn(principal);
        return ValueTask.CompletedTask;
    }
}
