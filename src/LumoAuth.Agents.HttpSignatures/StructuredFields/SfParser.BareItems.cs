using System.Globalization;

namespace LumoAuth.Agents.HttpSignatures.StructuredFields;

/// <summary>The bare items of RFC 8941 §4.2.3: strings, tokens, byte sequences, booleans, integers and decimals.</summary>
public static partial class SfParser
{
    private static bool TryBareItem(string s, ref int i, out SfBareItem value)
    {
        value = null!;
        if (i >= s.Length)
        {
            return false;
        }

        var c = s[i];
        if (c == '-' || char.IsAsciiDigit(c))
        {
            return TryNumber(s, ref i, out value);
        }

        if (c == '"')
        {
            var text = new System.Text.StringBuilder();
            i++;
            while (i < s.Length)
            {
                var ch = s[i++];
                if (ch == '\\')
                {
                    if (i >= s.Length || (s[i] != '"' && s[i] != '\\'))
                    {
                        return false;
                    }

                    text.Append(s[i++]);
                }
                else if (ch == '"')
                {
                    value = new SfString(text.ToString());
                    return true;
                }
                else if (ch < 0x20 || ch > 0x7E)
                {
                    return false;
                }
                else
                {
                    text.Append(ch);
                }
            }

            return false;
        }

        if (c == ':')
        {
            var end = s.IndexOf(':', i + 1);
            if (end < 0)
            {
                return false;
            }

            var encoded = s[(i + 1)..end];
            if (encoded.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '+' or '/' or '=')))
            {
                return false;
            }

            try
            {
                value = new SfBytes(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                return false;
            }

            i = end + 1;
            return true;
        }

        if (c == '?')
        {
            if (i + 1 < s.Length && s[i + 1] is '0' or '1')
            {
                value = new SfBoolean(s[i + 1] == '1');
                i += 2;
                return true;
            }

            return false;
        }

        if (char.IsAsciiLetter(c) || c == '*')
        {
            var start = i;
            i++;
            while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || "!#$%&'*+-.^_`|~:/".Contains(s[i], StringComparison.Ordinal)))
            {
                i++;
            }

            value = new SfToken(s[start..i]);
            return true;
        }

        return false;
    }

    private static bool TryNumber(string s, ref int i, out SfBareItem value)
    {
        value = null!;
        var start = i;
        if (s[i] == '-')
        {
            i++;
        }

        var digitsStart = i;
        var isDecimal = false;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || (s[i] == '.' && !isDecimal)))
        {
            if (s[i] == '.')
            {
                if (i - digitsStart > 12)
                {
                    return false;
                }

                isDecimal = true;
            }

            i++;
        }

        var text = s[start..i];
        var digits = s[digitsStart..i];
        if (digits.Length == 0 || digits.StartsWith('.') || digits.EndsWith('.'))
        {
            return false;
        }

        if (isDecimal)
        {
            var fraction = digits[(digits.IndexOf('.', StringComparison.Ordinal) + 1)..];
            if (fraction.Length > 3 || digits.Length > 16)
            {
                return false;
            }

            value = new SfDecimal(decimal.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture));
            return true;
        }

        if (digits.Length > 15)
        {
            return false;
        }

        value = new SfInteger(long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        return true;
    }
}
