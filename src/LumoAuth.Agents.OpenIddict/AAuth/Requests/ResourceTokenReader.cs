using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Shared;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>
/// Reads the <c>resource_token</c> of an <c>auth</c> or <c>exchange</c> request: minted by a resource configured here,
/// short-lived, for this agent and the very key that signed the request. What it asks for is what the policy decides on.
/// </summary>
internal static class ResourceTokenReader
{
    public static async ValueTask<(ResourceRequest? Request, AAuthOutcome? Refusal)> ReadAsync(AAuthRequest request)
    {
        var token = request.Parameter("resource_token");
        if (string.IsNullOrEmpty(token))
        {
            return Refuse(AgentErrorCodes.ParameterMissing, OAuthErrors.InvalidRequest, "'resource_token' is required: ask the resource for one.", null);
        }

        var resourceIssuer = AAuthJwt.UnvalidatedIssuer(token);
        if (resourceIssuer is null)
        {
            return Refuse(AgentErrorCodes.ResourceTokenInvalid, OAuthErrors.InvalidGrant, "The resource token is not a JWT.", null);
        }

        var options = request.Options;
        var resource = options.Resources.FirstOrDefault(r => string.Equals(r.Identifier?.AbsoluteUri, resourceIssuer, StringComparison.Ordinal));
        if (resource is null)
        {
            return Refuse(AgentErrorCodes.ResourceUnknown, OAuthErrors.InvalidTarget,
                $"The resource '{ErrorText.Printable(resourceIssuer)}' is not one this server issues auth tokens for.", ErrorText.Printable(resourceIssuer));
        }

        var identifier = resource.Identifier!.AbsoluteUri;
        var keys = resource.SigningKeys.Select(k => (SecurityKey)new JsonWebKey(k)).ToList();
        var (validated, error) = await AAuthJwt.ValidateAsync(token, AAuthConstants.ResourceTokenType, identifier, request.Issuer, keys);
        if (validated is null)
        {
            return Refuse(AgentErrorCodes.ResourceTokenInvalid, OAuthErrors.InvalidGrant, $"The resource token is refused: {error}.", identifier);
        }

        if (validated.IssuedAt == DateTime.MinValue || validated.ValidTo - validated.IssuedAt > options.ResourceTokenMaxLifetime)
        {
            return Refuse(AgentErrorCodes.ResourceTokenInvalid, OAuthErrors.InvalidGrant,
                $"The resource token must carry iat and live at most {options.ResourceTokenMaxLifetime.TotalMinutes:0} minutes.", identifier);
        }

        if (AAuthJwt.ClaimString(validated, AAuthConstants.AgentClaim) != request.AgentSubject)
        {
            return Refuse(AgentErrorCodes.ResourceTokenAgentMismatch, OAuthErrors.InvalidGrant, $"The resource token was minted for another agent than '{request.Agent.Id}'.", identifier);
        }

        if (AAuthJwt.ClaimString(validated, AAuthConstants.AgentKeyThumbprintClaim) != request.KeyThumbprint)
        {
            return Refuse(AgentErrorCodes.KeyBindingMismatch, OAuthErrors.InvalidGrant, "The resource token names another key than the one this request is signed with.", identifier);
        }

        return (new ResourceRequest(resource, ScopeSet.Parse(AAuthJwt.ClaimString(validated, "scope")), new DateTimeOffset(validated.ValidTo, TimeSpan.Zero)), null);
    }

    private static (ResourceRequest?, AAuthOutcome?) Refuse(string code, string oauthError, string description, string? resource) =>
        (null, AAuthOutcome.Refused(code, oauthError, description, audience: resource));
}
