using LumoAuth.Agents.Configuration;

namespace LumoAuth.Agents.OpenIddict.Handlers;

internal static class ErrorUris
{
    public static string For(LumoAgentsOptions options, string code) =>
        options.ErrorDocumentationUri.GetLeftPart(UriPartial.Path) + "#" + code;
}
