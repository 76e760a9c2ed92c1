using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using LumoAuth.Agents.Delegation;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Shared;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.OpenIddict.Tokens;

/// <summary>Reads a token already validated (a principal OpenIddict built, or an AAuth JWT) into host-neutral <see cref="TokenFacts"/>.</summary>
internal static class TokenFactsReader
{
    public static bool TryRead(ClaimsPrincipal principal, out TokenFacts facts, out string? error)
    {
        facts = null!;
        error = null;

        var acts = principal.FindAll(LumoAgentsOpenIddictConstants.ActClaim).ToList();
        var mayActs = principal.FindAll(LumoAgentsOpenIddictConstants.MayActClaim).ToList();
        if (acts.Count > 1 || mayActs.Count > 1)
        {
            error = "A token may carry at most one act and one may_act claim.";
            return false;
        }

        if (!ActorChain.TryParse(acts.SingleOrDefault()?.Value, out var chain, out error) ||
            !ActorChain.TryParseActor(mayActs.SingleOrDefault()?.Value, out var mayAct, out error))
        {
            return false;
        }

        var subject = principal.GetClaim(Claims.Subject);
        if (string.IsNullOrEmpty(subject))
        {
            error = "The token has no subject.";
            return false;
        }

        facts = new TokenFacts
        {
            Subject = subject,
            Issuer = principal.GetClaim(Claims.Issuer) ?? principal.GetClaim(Claims.Private.Issuer),
            ClientId = principal.GetClaim(LumoAgentsOpenIddictConstants.ClientIdClaim) ?? principal.GetPresenters().FirstOrDefault(),
            TokenId = principal.GetClaim(Claims.JwtId),
            Scopes = new ScopeSet(principal.GetScopes()),
            Audiences = new HashSet<string>(principal.GetAudiences(), StringComparer.Ordinal),
            ExpiresAt = principal.GetExpirationDate(),
            IssuedAt = principal.GetCreationDate(),
            Chain = chain,
            MayAct = mayAct,
            ApprovalId = principal.GetClaim(LumoAgentsOpenIddictConstants.ApprovalIdClaim),
        };
        return true;
    }

    /// <summary>Reads an AAuth token this server issued (auth or refresh token); false when it names no subject or its <c>act</c> is malformed.</summary>
    public static bool TryRead(JsonWebToken token, [NotNullWhen(true)] out TokenFacts? facts)
    {
        facts = null;
        var chain = ActorChain.Empty;
        if (AAuthJwt.ClaimJson(token, "act") is { } act && !ActorChain.TryParse(act.GetRawText(), out chain, out _))
        {
            return false;
        }

        if (string.IsNullOrEmpty(token.Subject))
        {
            return false;
        }

        facts = new TokenFacts
        {
            Subject = token.Subject,
            Issuer = token.Issuer,
            TokenId = token.Id,
            Scopes = ScopeSet.Parse(AAuthJwt.ClaimString(token, "scope")),
            ExpiresAt = new DateTimeOffset(token.ValidTo, TimeSpan.Zero),
            Chain = chain,
        };
        return true;
    }
}
