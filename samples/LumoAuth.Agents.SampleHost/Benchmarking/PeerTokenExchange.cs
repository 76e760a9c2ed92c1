using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.SampleHost.Benchmarking;

/// <summary>
/// BENCHMARKS ONLY (<c>Sample:Pack=off</c>): OpenIddict's own token exchange with the least a host must add — the
/// subject's <c>sub</c> and scopes, the actor as a one-level <c>act</c> — and none of our policy, budgets or audit.
/// The side-by-side peer the load generator compares our delegation exchange with.
/// </summary>
internal sealed class PeerTokenExchange : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseSingletonHandler<PeerTokenExchange>()
            .SetOrder(int.MinValue + 300_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        if (!context.Request.IsTokenExchangeGrantType() || context.SubjectTokenPrincipal is not { } subject)
        {
            return ValueTask.CompletedTask;
        }

        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject.GetClaim(Claims.Subject));
        if (context.ActorTokenPrincipal?.GetClaim(Claims.Subject) is { } actor)
        {
            identity.AddClaim(new Claim("act", JsonSerializer.Serialize(new { sub = actor }), "JSON"));
        }

        var principal = new ClaimsPrincipal(identity);
        principal.SetScopes(subject.GetScopes());
        principal.SetAudiences("acme-corp-api");
        principal.SetAccessTokenLifetime(TimeSpan.FromMinutes(5));
        principal.SetDestinations(_ => [Destinations.AccessToken]);
        context.SignIn(principal);
        return ValueTask.CompletedTask;
    }
}
