
namespace LumoAuth.Agents.HttpSignatures.StructuredFields;

/// <summary>
/// A strict RFC 8941 (Structured Field Values) parser for dictionaries, lists and items: any deviation fails the
/// whole field, as the RFC requires, so a signature header can never be read two ways.
/// </summary>
public static partial class SfParser
{
    /// <summary>Parses a dictionary; <see langword="false"/> on any syntax error. Repeated keys keep the last value in the first one's place (RFC 8941 §4.2.2).</summary>
    public static bool TryParseDictionary(string input, out IReadOnlyList<KeyValuePair<string, SfMember>> dictionary) =>
        TryParseDictionary(input, rejectRepeatedKeys: false, out dictionary);

    /// <summary>
    /// Parses a dictionary; with <paramref name="rejectRepeatedKeys"/> a key that appears twice fails the parse instead of
    /// the later value silently winning (what a signature verifier wants: two <c>Signature-Input</c> entries under one
    /// label must not be read as either).
    /// </summary>
    public static bool TryParseDictionary(string input, bool rejectRepeatedKeys, out IReadOnlyList<KeyValuePair<string, SfMember>> dictionary)
    {
        ArgumentNullException.ThrowIfNull(input);
        dictionary = [];
        var members = new List<KeyValuePair<string, SfMember>>();
        var i = 0;
        SkipSp(input, ref i);
        if (i == input.Length)
        {
            dictionary = members;
            return true;
        }

        while (i < input.Length)
        {
            if (!TryKey(input, ref i, out var key))
            {
                return false;
            }

            SfMember member;
            if (i < input.Length && input[i] == '=')
            {
                i++;
                if (!TryMember(input, ref i, out member!))
                {
                    return false;
                }
            }
            else
            {
                if (!TryParameters(input, ref i, out var parameters))
                {
                    return false;
                }

                member = new SfItem(new SfBoolean(true), parameters);
            }

            var existing = members.FindIndex(m => m.Key == key);
            if (existing >= 0 && rejectRepeatedKeys)
            {
                return false;
            }

            if (existing >= 0)
            {
                members[existing] = new(key, member);
            }
            else
            {
                members.Add(new(key, member));
            }
            SkipOws(input, ref i);
            if (i == input.Length)
            {
                dictionary = members;
                return true;
            }

            if (input[i] != ',')
            {
                return false;
            }

            i++;
            SkipOws(input, ref i);
            if (i == input.Length)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Parses a list of items and inner lists; <see langword="false"/> on any syntax error.</summary>
    public static bool TryParseList(string input, out IReadOnlyList<SfMember> list)
    {
        ArgumentNullException.ThrowIfNull(input);
        list = [];
        var members = new List<SfMember>();
        var i = 0;
        SkipSp(input, ref i);
        while (i < input.Length)
        {
            if (!TryMember(input, ref i, out var member))
            {
                return false;
            }

            members.Add(member);
            SkipOws(input, ref i);
            if (i == input.Length)
            {
                break;
            }

            if (input[i] != ',')
            {
                return false;
            }

            i++;
            SkipOws(input, ref i);
            if (i == input.Length)
            {
                return false;
            }
        }

        list = members;
        return true;
    }

    /// <summary>Parses a single item with parameters.</summary>
    public static bool TryParseItem(string input, out SfItem item)
    {
        ArgumentNullException.ThrowIfNull(input);
        var i = 0;
        SkipSp(input, ref i);
        if (!TryItem(input, ref i, out item!))
        {
            return false;
        }

        SkipSp(input, ref i);
        return i == input.Length;
    }

    private static bool TryMember(string s, ref int i, out SfMember member)
    {
        member = null!;
        if (i < s.Length && s[i] == '(')
        {
            i++;
            var items = new List<SfItem>();
            while (true)
            {
                SkipSp(s, ref i);
                if (i >= s.Length)
                {
                    return false;
                }

                if (s[i] == ')')
                {
                    i++;
                    if (!TryParameters(s, ref i, out var listParameters))
                    {
                        return false;
                    }

                    member = new SfInnerList(items, listParameters);
                    return true;
                }

                if (!TryItem(s, ref i, out var item))
                {
                    return false;
                }

                items.Add(item);
                if (i >= s.Length || (s[i] != ' ' && s[i] != ')'))
                {
                    return false;
                }
            }
        }

        if (!TryItem(s, ref i, out var single))
        {
            return false;
        }

        member = single;
        return true;
    }

    private static bool TryItem(string s, ref int i, out SfItem item)
    {
        item = null!;
        if (!TryBareItem(s, ref i, out var value) || !TryParameters(s, ref i, out var parameters))
        {
            return false;
        }

        item = new SfItem(value, parameters);
        return true;
    }

    private static bool TryParameters(string s, ref int i, out SfParameters parameters)
    {
        parameters = [];
        while (i < s.Length && s[i] == ';')
        {
            i++;
            SkipSp(s, ref i);
            if (!TryKey(s, ref i, out var key))
            {
                return false;
            }

            SfBareItem value = new SfBoolean(true);
            if (i < s.Length && s[i] == '=')
            {
                i++;
                if (!TryBareItem(s, ref i, out value!))
                {
                    return false;
                }
            }

            var existing = parameters.FindIndex(p => p.Key == key);
            if (existing >= 0)
            {
                parameters[existing] = new(key, value);
            }
            else
            {
                parameters.Add(new(key, value));
            }
        }

        return true;
    }

    private static bool TryKey(string s, ref int i, out string key)
    {
        key = string.Empty;
        if (i >= s.Length || !(s[i] is >= 'a' and <= 'z' || s[i] == '*'))
        {
            return false;
        }

        var start = i;
        while (i < s.Length && (s[i] is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-' or '.' or '*'))
        {
            i++;
        }

        key = s[start..i];
        return true;
    }

    private static void SkipSp(string s, ref int i)
    {
        while (i < s.Length && s[i] == ' ')
        {
            i++;
        }
    }

    private static void SkipOws(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t')
        {
            i++;
        }
    }
}
