using System.Text;
using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>
/// Builds the RFC 9421 §2.5 signature base of a request for a list of covered components: derived components
/// (<c>@method</c>, <c>@target-uri</c>, <c>@authority</c>, <c>@scheme</c>, <c>@request-target</c>, <c>@path</c>,
/// <c>@query</c>, <c>@query-param</c>) and header fields, ending with <c>@signature-params</c>. Fails on a component
/// that is listed twice, a header that is absent, an unknown derived component or parameter.
/// </summary>
public static class SignatureBase
{
    /// <summary>Builds the base; <see langword="false"/> with the reason when it cannot be built.</summary>
    public static bool TryBuild(HttpMessage message, SfInnerList components, out string signatureBase, out string? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(components);
        signatureBase = string.Empty;
        error = null;
        var builder = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var component in components.Items)
        {
            if (component.Value is not SfString { Value: var name } || name.Length == 0 || name.Any(char.IsAsciiLetterUpper))
            {
                error = "A covered component must be a lower-case string.";
                return false;
            }

            var identifier = component.Serialize();
            if (!seen.Add(identifier))
            {
                error = $"The component {identifier} is covered twice.";
                return false;
            }

            var value = name.StartsWith('@') ? Derived(message, name, component.Parameters, out error) : Field(message, name, component.Parameters, out error);
            if (value is null)
            {
                return false;
            }

            builder.Append(identifier).Append(": ").Append(value).Append('\n');
        }

        builder.Append("\"@signature-params\": ").Append(components.Serialize());
        signatureBase = builder.ToString();
        return true;
    }

    private static string? Derived(HttpMessage message, string name, SfParameters parameters, out string? error)
    {
        error = null;
        var uri = message.TargetUri;
        if (name != "@query-param" && parameters.Count > 0)
        {
            error = $"The component \"{name}\" takes no parameters here.";
            return null;
        }

        switch (name)
        {
            case "@method":
                return message.Method;
            case "@target-uri":
                return uri.AbsoluteUri;
            case "@authority":
                return uri.IsDefaultPort ? uri.Host.ToLowerInvariant() : $"{uri.Host.ToLowerInvariant()}:{uri.Port}";
            case "@scheme":
                return uri.Scheme.ToLowerInvariant();
            case "@request-target":
                return uri.PathAndQuery;
            case "@path":
                return string.IsNullOrEmpty(uri.AbsolutePath) ? "/" : uri.AbsolutePath;
            case "@query":
                return string.IsNullOrEmpty(uri.Query) ? "?" : uri.Query;
            case "@query-param":
                if (parameters["name"] is not SfString { Value: var wanted } || parameters.Count != 1)
                {
                    error = "\"@query-param\" needs exactly one 'name' parameter.";
                    return null;
                }

                var matches = uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                    .Select(pair => pair.Split('=', 2))
                    .Where(pair => Uri.UnescapeDataString(pair[0].Replace('+', ' ')) == wanted)
                    .Select(pair => pair.Length > 1 ? Uri.EscapeDataString(Uri.UnescapeDataString(pair[1].Replace('+', ' '))) : string.Empty)
                    .ToList();
                if (matches.Count != 1)
                {
                    error = matches.Count == 0 ? $"The query has no parameter '{wanted}'." : $"The query repeats '{wanted}'; it cannot be covered unambiguously.";
                    return null;
                }

                return matches[0];
            default:
                error = $"\"{name}\" is not a derived component this verifier knows.";
                return null;
        }
    }

    private static string? Field(HttpMessage message, string name, SfParameters parameters, out string? error)
    {
        error = null;
        if (parameters.Count > 0)
        {
            error = $"The field \"{name}\" is covered with parameters this verifier does not support.";
            return null;
        }

        // RFC 9421 §2.1: all values of the field, trimmed, joined with ", " in the order received.
        var values = message.Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.Trim()).ToList();
        if (values.Count == 0)
        {
            error = $"The covered field \"{name}\" is not in the message.";
            return null;
        }

        if (values.Any(v => v.Contains('\n', StringComparison.Ordinal) || v.Contains('\r', StringComparison.Ordinal)))
        {
            error = $"The field \"{name}\" holds a line break.";
            return null;
        }

        return string.Join(", ", values);
    }
}
