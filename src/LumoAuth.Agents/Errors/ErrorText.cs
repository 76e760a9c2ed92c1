namespace LumoAuth.Agents.Errors;

/// <summary>
/// Puts caller-supplied values into refusal descriptions safely: RFC 6749 limits <c>error_description</c> to printable
/// ASCII without '"' and '\', and hosts copy it into headers, so anything else becomes '?'.
/// </summary>
public static class ErrorText
{
    /// <summary><paramref name="value"/> with every character outside that set replaced, cut to <paramref name="maxLength"/>.</summary>
    /// <summary>
    /// A caller-supplied value to quote back in a description: <see cref="Printable"/>, and markup characters
    /// (<c>&lt; &gt; &amp;</c>) also replaced, so an answer never reflects markup a client might render.
    /// </summary>
    public static string Echo(string? value, int maxLength = 64) =>
        new(Printable(value, maxLength).Select(c => c is '<' or '>' or '&' ? '?' : c).ToArray());

    /// <summary><paramref name="value"/> with every character outside that set replaced, cut to <paramref name="maxLength"/>.</summary>
    public static string Printable(string? value, int maxLength = 64) =>
        value is null
            ? string.Empty
            : new string(value.Take(maxLength).Select(c => c is >= (char)0x20 and <= (char)0x7E and not '"' and not '\\' ? c : '?').ToArray());
}
