using OpenIddict.Abstractions;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>Rules on a request's parameters shared by the token and authorization endpoints.</summary>
internal static class RequestParameters
{
    /// <summary>
    /// The first of <paramref name="singleValued"/> that <paramref name="request"/> repeats, or null: RFC 6749 section 3.1,
    /// request parameters must not be included more than once.
    /// </summary>
    public static string? FirstRepeated(OpenIddictRequest request, IEnumerable<string> singleValued) =>
        singleValued.FirstOrDefault(name => request[name] is { Count: > 1 });

    /// <summary>The first of <paramref name="required"/> that is missing or blank, or null.</summary>
    public static string? FirstMissing(OpenIddictRequest request, params ReadOnlySpan<string> required)
    {
        foreach (var name in required)
        {
            if (string.IsNullOrWhiteSpace((string?)request[name]))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether <paramref name="token"/> looks like a compact JWS or JWE of at most 16 KB: anything else (garbage, a
    /// reference handle) is refused before OpenIddict would look it up in the database as a reference token.
    /// </summary>
    public static bool IsCompactJwt(string token)
    {
        if (token.Length is 0 or > 16 * 1024)
        {
            return false;
        }

        var dots = 0;
        foreach (var c in token)
        {
            if (c == '.')
            {
                dots++;
            }
            else if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }

        return dots is 2 or 4;
    }
}
