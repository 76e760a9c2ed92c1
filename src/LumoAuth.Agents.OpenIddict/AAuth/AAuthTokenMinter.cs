using System.Text.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Budgets;
using LumoAuth.Agents.Issuance;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// Turns a granted AAuth decision into tokens: the agent token bound to the enrolled key, or the auth token (and, for
/// <c>auth</c>, its refresh token) bound by thumbprint to the key that signed, once the agent's budget allows it.
/// </summary>
internal sealed class AAuthTokenMinter(AAuthTokenService tokens, BudgetGate budgets)
{
    /// <summary>The agent token of a granted <c>agent</c> request; the decision as it is when refused.</summary>
    public AAuthOutcome AgentToken(AAuthRequest request, IssuanceDecision decision)
    {
        if (!decision.IsGranted)
        {
            return AAuthOutcome.Decided(decision);
        }

        var agent = request.Agent;
        var claims = new Dictionary<string, object> { ["cnf"] = Json(new JsonObject { ["jwk"] = request.Key.ToPublicJwk() }), ["client_id"] = agent.Id };
        var token = tokens.Create(AAuthConstants.AgentTokenType, request.Issuer, request.Issuer, agent.Subject, claims, decision.IssuedAt, decision.ExpiresAt, out var tokenId);
        var body = new JsonObject
        {
            ["agent_token"] = token,
            ["token_type"] = AAuthConstants.AgentTokenType,
            ["expires_in"] = (long)decision.Lifetime.TotalSeconds,
        };
        return new AAuthOutcome { Decision = decision, Body = body, TokenId = tokenId };
    }

    /// <summary>
    /// The auth token of a granted <c>auth</c>, <c>exchange</c> or <c>refresh</c> request for <paramref name="resource"/>,
    /// with a refresh token when <paramref name="withRefreshToken"/>; a spent budget refuses it (429 until the reset).
    /// </summary>
    public async ValueTask<AAuthOutcome> AuthTokenAsync(AAuthRequest request, IssuanceDecision decision, ResourceRequest resource, bool withRefreshToken, CancellationToken ct)
    {
        var audience = resource.Resource.Identifier!.AbsoluteUri;
        if (!decision.IsGranted)
        {
            return AAuthOutcome.Decided(decision, audience);
        }

        if (await budgets.CheckAsync(request.Agent, ct) is { } spent)
        {
            return new AAuthOutcome { Decision = decision with { Error = spent.Error }, Audience = audience, BudgetResetAt = spent.ResetAt };
        }

        var claims = new Dictionary<string, object>
        {
            ["scope"] = decision.Scopes.ToString(),
            ["cnf"] = Json(new JsonObject { ["jkt"] = request.KeyThumbprint }),
            [AAuthConstants.AgentClaim] = request.AgentSubject, // as the resource knows the agent: its agent token's sub
            ["client_id"] = request.Agent.Id,
        };
        if (decision.Chain.ToJson() is { } act)
        {
            claims["act"] = Json(act);
        }

        var authToken = tokens.Create(AAuthConstants.AuthTokenType, request.Issuer, audience, decision.Subject!, claims, decision.IssuedAt, decision.ExpiresAt, out var tokenId);
        var body = new JsonObject
        {
            ["auth_token"] = authToken,
            ["token_type"] = AAuthConstants.AuthTokenType,
            ["expires_in"] = (long)decision.Lifetime.TotalSeconds,
            ["scope"] = decision.Scopes.ToString(),
        };
        if (withRefreshToken)
        {
            var refreshClaims = new Dictionary<string, object>(claims) { [AAuthConstants.ResourceClaim] = audience };
            body["refresh_token"] = tokens.Create(AAuthConstants.RefreshTokenType, request.Issuer, request.Issuer, decision.Subject!, refreshClaims,
                decision.IssuedAt, decision.IssuedAt + request.Options.RefreshTokenLifetime, out _);
        }

        return new AAuthOutcome { Decision = decision, Body = body, TokenId = tokenId, Audience = audience };
    }

    private static JsonElement Json(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();
}
