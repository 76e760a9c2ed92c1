using System.Security.Claims;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Issuance;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers.Protection;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Validates a platform workload token presented as <c>subject_token</c> with type
/// <c>urn:ietf:params:oauth:token-type:jwt</c> (seed pattern 2) with the workload validator, in place of OpenIddict's
/// own validation, which only knows this server's tokens. The verified identity goes on to the login policy.
/// </summary>
public sealed class ValidateWorkloadToken : IOpenIddictServerHandler<ValidateTokenContext>
{
    private readonly WorkloadTokenValidator _validator;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;

    /// <summary>Creates the handler.</summary>
    public ValidateWorkloadToken(WorkloadTokenValidator validator, IOptionsMonitor<LumoAgentsOptions> options)
    {
        _validator = validator;
        _options = options;
    }

    /// <summary>The descriptor: after OpenIddict resolves its validation parameters, before it validates the token itself.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseScopedHandler<ValidateWorkloadToken>()
            .SetOrder(ResolveTokenValidationParameters.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    internal const string WorkloadProperty = "lumo:agents:workload";

    /// <inheritdoc />
    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.ValidTokenTypes.Count != 1 || !context.ValidTokenTypes.Contains(LumoAgentsOpenIddictConstants.JwtTokenType) ||
            context.Transaction.Request is not { } request || !request.IsTokenExchangeGrantType())
        {
            return;
        }

        var validation = await _validator.ValidateAsync(context.Token ?? string.Empty, (string?)request[LumoAgentsOpenIddictConstants.SubjectIssuerParameter], context.CancellationToken);
        if (validation.Error is { } error)
        {
            context.Transaction.SetProperty(LumoAgentsOpenIddictConstants.DecisionProperty, new IssuanceDecision
            {
                Error = error,
                WorkloadIssuer = validation.Issuer,
                WorkloadSubject = validation.Subject,
            });
            AgentRejection.Reject(context, error, _options.CurrentValue);
            return;
        }

        var identity = validation.Identity!;
        context.Transaction.SetProperty(WorkloadProperty, identity);

        var claims = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, OpenIddictConstants.Claims.Name, OpenIddictConstants.Claims.Role);
        claims.SetClaim(OpenIddictConstants.Claims.Subject, identity.Subject);
        claims.SetClaim(OpenIddictConstants.Claims.Issuer, identity.Issuer);
        var principal = new ClaimsPrincipal(claims);
        principal.SetTokenType(LumoAgentsOpenIddictConstants.JwtTokenType);
        principal.SetExpirationDate(identity.ExpiresAt);
        context.Principal = principal;
    }
}
