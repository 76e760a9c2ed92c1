using System.Text;
using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>
/// Builds the RFC 9421 §2.5 signature base of a request or response for a list of covered components: derived
/// components (<c>@method</c>, <c>@target-uri</c>, <c>@authority</c>, <c>@scheme</c>, <c>@request-target</c>,
/// <c>@path</c>, <c>@query</c>, <c>@query-param</c>, <c>@status</c>) and header fields with the parameters
/// <c>sf</c>, <c>key</c>, <c>bs</c> and <c>req</c>, ending with <c>@signature-params</c>. Fails, with the reason, on a
/// component listed twice, an absent field, an unknown derived component or parameter, or a combination §2.1 forbids.
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
            if (component.Value is not SfString { Value: var name } || name.Length == 0 || name.Any(c => char.IsAsciiLetterUpper(c) || c < 0x21 || c > 0x7e))
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

            var source = message;
            if (component.Parameters["req"] is { } req)
            {
                if (req is not SfBoolean { Value: true } || !message.IsResponse || message.Request is null)
                {
                    error = $"The component {identifier} is marked 'req' but this is not a response bound to its request.";
                    return false;
                }

                source = message.Request;
            }

            var value = name.StartsWith('@') ? Derived(source, name, component.Parameters, out error) : Field(source, name, component.Parameters, out error);
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
        if (parameters.Any(p => p.Key != "req" && !(name == "@query-param" && p.Key == "name")))
        {
            error = $"The component \"{name}\" is covered with a parameter it does not take.";
            return null;
        }

        if (name == "@status")
        {
            if (!message.IsResponse)
            {
                error = "\"@status\" can only be covered in a response.";
                return null;
            }

            return message.Status!.Value.ToString("000", System.Globalization.CultureInfo.InvariantCulture);
        }

        if (message.IsResponse || message.TargetUri is not { } uri || message.Method is null)
        {
            error = $"\"{name}\" is a request component; a response covers it only with 'req'.";
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
                return QueryParam(uri, parameters, out error);
            default:
                error = $"\"{name}\" is not a derived component this verifier knows.";
                return null;
        }
    }

    private static string? QueryParam(Uri uri, SfParameters parameters, out string? error)
    {
        error = null;
        if (parameters["name"] is not SfString { Value: var wanted })
        {
            error = "\"@query-param\" needs a 'name' parameter.";
            return null;
        }

        // RFC 9421 §2.2.8: names and values are decoded, then re-encoded; a name that repeats cannot be covered.
        // Decoding is strict: an escape that is not valid UTF-8 makes the query unsignable rather than ambiguous.
        var matches = new List<string>();
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)))
        {
            if (!TryFormDecode(pair[0], out var name) || !TryFormDecode(pair.Length > 1 ? pair[1] : string.Empty, out var value))
            {
                error = "The query holds a percent-escape that is not valid UTF-8; it cannot be covered unambiguously.";
                return null;
            }

            if (FormEncode(name) == wanted)
            {
                matches.Add(FormEncode(value));
            }
        }

        if (matches.Count != 1)
        {
            error = matches.Count == 0 ? $"The query has no parameter '{wanted}'." : $"The query repeats '{wanted}'; it cannot be covered unambiguously.";
            return null;
        }

        return matches[0];
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private static bool TryFormDecode(string text, out string decoded)
    {
        decoded = string.Empty;
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%')
            {
                if (i + 2 >= text.Length || !byte.TryParse(text.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var b))
                {
                    return false;
                }

                bytes.Add(b);
                i += 2;
            }
            else if (c > 0x7e)
            {
                return false;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        try
        {
            decoded = StrictUtf8.GetString([.. bytes]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static string FormEncode(string text)
    {
        // The application/x-www-form-urlencoded percent-encode set, with space as %20 (RFC 9421 §2.2.8).
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'*' or (byte)'-' or (byte)'.' or (byte)'_')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private static string? Field(HttpMessage message, string name, SfParameters parameters, out string? error)
    {
        error = null;
        var unknown = parameters.FirstOrDefault(p => p.Key is not ("sf" or "key" or "bs" or "req"));
        if (unknown.Key is not null)
        {
            error = unknown.Key == "tr"
                ? $"The field \"{name}\" is covered from the trailers, which this verifier does not read."
                : $"The field \"{name}\" is covered with the unknown parameter '{unknown.Key}'.";
            return null;
        }

        if (parameters.Any(p => p.Value is not SfBoolean { Value: true } && p.Key != "key"))
        {
            error = $"The parameters of the field \"{name}\" must be boolean true.";
            return null;
        }

        var lines = message.Values(name).ToList();
        if (lines.Count == 0)
        {
            error = $"The covered field \"{name}\" is not in the message.";
            return null;
        }

        if (lines.Any(v => v.Any(c => c is '\r' or '\n' or '\0' || c > 0x7e)))
        {
            error = $"The field \"{name}\" holds a line break, NUL or a non-ASCII character; a signature base is ASCII.";
            return null;
        }

        var isBinary = parameters["bs"] is not null;
        var isStructured = parameters["sf"] is not null;
        var key = parameters["key"];
        if (isBinary && (isStructured || key is not null))
        {
            error = $"The field \"{name}\" cannot be covered with 'bs' together with 'sf' or 'key' (RFC 9421 §2.1.3).";
            return null;
        }

        if (isBinary)
        {
            // RFC 9421 §2.1.3: each field line is wrapped as a byte sequence on its own.
            return string.Join(", ", lines.Select(line => ":" + Convert.ToBase64String(Encoding.ASCII.GetBytes(line.Trim(' ', '\t'))) + ":"));
        }

        // RFC 9421 §2.1: all values, trimmed, joined with ", " in the order received.
        var combined = string.Join(", ", lines.Select(line => line.Trim(' ', '\t')));
        if (key is not null)
        {
            if (key is not SfString { Value: var member })
            {
                error = $"The 'key' parameter of the field \"{name}\" must be a string.";
                return null;
            }

            if (!SfParser.TryParseDictionary(combined, out var dictionary))
            {
                error = $"The field \"{name}\" is covered by key but is not a valid dictionary.";
                return null;
            }

            var entry = dictionary.FirstOrDefault(m => m.Key == member);
            if (entry.Key is null)
            {
                error = $"The dictionary field \"{name}\" has no member '{member}'.";
                return null;
            }

            return entry.Value.Serialize();
        }

        if (isStructured)
        {
            return Reserialize(name, combined, out error);
        }

        return combined;
    }

    private static string? Reserialize(string name, string value, out string? error)
    {
        error = null;
        if (!StructuredFieldTypes.TryGet(name, out var type))
        {
            error = $"The field \"{name}\" is covered with 'sf' but its structured type is not known here.";
            return null;
        }

        switch (type)
        {
            case StructuredFieldType.Dictionary when SfParser.TryParseDictionary(value, out var dictionary):
                return string.Join(", ", dictionary.Select(m => m.Value is SfItem { Value: SfBoolean { Value: true } } flag ? m.Key + flag.Parameters.Serialize() : m.Key + "=" + m.Value.Serialize()));
            case StructuredFieldType.List when SfParser.TryParseList(value, out var list):
                return string.Join(", ", list.Select(m => m.Serialize()));
            case StructuredFieldType.Item when SfParser.TryParseItem(value, out var item):
                return item.Serialize();
            default:
                error = $"The field \"{name}\" is covered with 'sf' but is not a valid structured {type.ToString().ToLowerInvariant()}.";
                return null;
        }
    }
}
