using System.Security.Claims;
using LumoAuth.Agents.Issuance;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.OpenIddict.Tokens;

/// <summary>
/// Builds the principal OpenIddict signs into an RFC 9068 access token from a granted decision. It starts from
/// nothing, so no claim of an input token (notably <c>may_act</c>) leaks into the output.
/// </summary>
internal static class AgentPrincipalFactory
{
    public static ClaimsPrincipal Create(IssuanceDecision decision, string agentId)
    {
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, decision.Subject);

        if (decision.Chain.ToJson() is { } act)
        {
            identity.SetClaim(LumoAgentsOpenIddictConstants.ActClaim, act);
        }

        if (decision.WorkloadIssuer is { } workloadIssuer && decision.WorkloadSubject is { } workloadSubject)
        {
            identity.SetClaim(LumoAgentsOpenIddictConstants.WorkloadClaim, new System.Text.Json.Nodes.JsonObject
            {
                ["iss"] = workloadIssuer,
                ["sub"] = workloadSubject,
            });
        }

        // What the user approved (OpenID CIBA): the approval and its RFC 9396 authorization details (section 9.1).
        if (decision.ApprovalId is { } approvalId)
        {
            identity.SetClaim(LumoAgentsOpenIddictConstants.ApprovalIdClaim, approvalId);
        }

        // A JSON array claim: OpenIddict's claim helpers take JSON objects only, IdentityModel writes this one as is.
        if (decision.AuthorizationDetails is { } details)
        {
            identity.AddClaim(new Claim(LumoAgentsOpenIddictConstants.AuthorizationDetailsParameter, details, JsonClaimValueTypes.JsonArray));
        }

        var principal = new ClaimsPrincipal(identity);
        // Never offline_access or openid: OpenIddict would add a refresh or ID token that outlives the agent's rules.
        principal.SetScopes(decision.Scopes.Where(s => !AgentCapabilities.Reserved.Contains(s)));
        principal.SetAudiences(decision.Audiences);
        principal.SetPresenters(agentId);

        principal.SetAccessTokenLifetime(decision.Lifetime);
        principal.SetDestinations(_ => [Destinations.AccessToken]);
        return principal;
    }
}
