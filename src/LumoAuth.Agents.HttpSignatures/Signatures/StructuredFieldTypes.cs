using System.Collections.Concurrent;

namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>The top-level type of a structured header field, which the <c>sf</c> and <c>key</c> parameters need.</summary>
public enum StructuredFieldType
{
    /// <summary>An RFC 8941 item.</summary>
    Item,

    /// <summary>An RFC 8941 list.</summary>
    List,

    /// <summary>An RFC 8941 dictionary.</summary>
    Dictionary,
}

/// <summary>
/// Which header fields are structured, and of what type: RFC 9421 §2.1.1 re-serializes a field covered with
/// <c>sf</c> according to its type, which cannot be guessed from the text. Fields defined as structured by their RFCs
/// are known; an application registers its own.
/// </summary>
public static class StructuredFieldTypes
{
    private static readonly ConcurrentDictionary<string, StructuredFieldType> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["signature-input"] = StructuredFieldType.Dictionary,
        ["signature"] = StructuredFieldType.Dictionary,
        ["accept-signature"] = StructuredFieldType.Dictionary,
        ["content-digest"] = StructuredFieldType.Dictionary,
        ["repr-digest"] = StructuredFieldType.Dictionary,
        ["want-content-digest"] = StructuredFieldType.Dictionary,
        ["want-repr-digest"] = StructuredFieldType.Dictionary,
        ["priority"] = StructuredFieldType.Dictionary,
        ["signature-key"] = StructuredFieldType.Dictionary,
        ["cache-status"] = StructuredFieldType.List,
        ["proxy-status"] = StructuredFieldType.List,
        ["accept-ch"] = StructuredFieldType.List,
        ["cdn-cache-control"] = StructuredFieldType.Dictionary,
    };

    /// <summary>Declares the type of a structured field (for example an application's own header).</summary>
    public static void Register(string fieldName, StructuredFieldType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(fieldName);
        Known[fieldName] = type;
    }

    /// <summary>The type of <paramref name="fieldName"/>, if known.</summary>
    public static bool TryGet(string fieldName, out StructuredFieldType type) => Known.TryGetValue(fieldName, out type);
}
