using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>The one way the pack refuses an OpenIddict request: standard error, wire-safe description, documented code.</summary>
internal static class AgentRejection
{
    public static void Reject(OpenIddictServerEvents.BaseValidatingContext context, AgentError error, LumoAgentsOptions options) =>
        context.Reject(error.OAuthError, WireSafe(error.Description), options.ErrorDocumentationUri.GetLeftPart(UriPartial.Path) + "#" + error.Code);

    /// <summary>The description as sent: RFC 6749's character set, since OpenIddict copies it into WWW-Authenticate on 401s.</summary>
    public static string WireSafe(string description) => ErrorText.Printable(description, int.MaxValue);
}
