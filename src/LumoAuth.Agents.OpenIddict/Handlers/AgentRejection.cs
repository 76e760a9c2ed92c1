using System.Text;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using OpenIddict.Server;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>The one way the pack refuses an OpenIddict request: standard error, wire-safe description, documented code.</summary>
internal static class AgentRejection
{
    public static void Reject(OpenIddictServerEvents.BaseValidatingContext context, AgentError error, LumoAgentsOptions options) =>
        context.Reject(error.OAuthError, WireSafe(error.Description), options.ErrorDocumentationUri.GetLeftPart(UriPartial.Path) + "#" + error.Code);

    /// <summary>
    /// RFC 6749 limits error_description to printable ASCII without '"' and '\', and OpenIddict copies it into the
    /// WWW-Authenticate header of 401 responses, where anything else would break the response.
    /// </summary>
    public static string WireSafe(string description)
    {
        var builder = new StringBuilder(description.Length);
        foreach (var c in description)
        {
            builder.Append(c is >= (char)0x20 and <= (char)0x7E and not '"' and not '\\' ? c : '?');
        }

        return builder.ToString();
    }
}
