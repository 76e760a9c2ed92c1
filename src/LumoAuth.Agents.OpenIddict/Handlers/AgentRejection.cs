using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>The one way the pack refuses an OpenIddict request: standard error, wire-safe description, documented code.</summary>
internal static class AgentRejection
{
    public static void Reject(OpenIddictServerEvents.BaseValidatingContext context, AgentError error, LumoAgentsOptions options) =>
        context.Reject(error.OAuthError, WireSafe(error.Description), Endpoints.ProtocolResponse.ErrorUri(options, error.Code));

    /// <summary>Refuses a token request before any policy ran, keeping the refusal as the request's decision for the audit.</summary>
    public static void RejectTokenRequest(OpenIddictServerEvents.ValidateTokenRequestContext context, AgentError error, LumoAgentsOptions options)
    {
        context.Transaction.SetAgentDecision(new IssuanceDecision { Error = error, AgentId = context.Request.ClientId });
        Reject(context, error, options);
    }

    /// <summary>The description as sent: RFC 6749's character set, since OpenIddict copies it into WWW-Authenticate on 401s.</summary>
    public static string WireSafe(string description) => ErrorText.Printable(description, int.MaxValue);
}
