using System.Security.Cryptography;
using System.Text;

namespace LumoAuth.Agents.HttpSignatures.Digests;

/// <summary>The outcome of checking a <c>Content-Digest</c> header against a body.</summary>
public enum ContentDigestResult
{
    /// <summary>Every supported digest in the header matches the body, and there was at least one.</summary>
    Valid = 0,

    /// <summary>The header is absent or empty.</summary>
    Missing,

    /// <summary>The header is not a well-formed RFC 8941 dictionary of byte sequences.</summary>
    Malformed,

    /// <summary>The header names no algorithm this library accepts (only sha-256 and sha-512 are; md5, sha etc. are refused).</summary>
    UnsupportedAlgorithm,

    /// <summary>A digest does not match the body.</summary>
    Mismatch,
}

/// <summary>
/// RFC 9530 <c>Content-Digest</c>: <c>sha-256=:base64:</c> and <c>sha-512=:base64:</c> over the message content. A
/// verifier recomputes the digest from the body it received; it never trusts the header alone.
/// </summary>
public static class ContentDigest
{
    /// <summary>The header name.</summary>
    public const string HeaderName = "Content-Digest";

    private static readonly Dictionary<string, Func<byte[], byte[]>> Algorithms = new(StringComparer.Ordinal)
    {
        ["sha-256"] = SHA256.HashData,
        ["sha-512"] = SHA512.HashData,
    };

    /// <summary>The header value for <paramref name="body"/>: <c>sha-256=:…:</c> (or sha-512).</summary>
    public static string Create(ReadOnlySpan<byte> body, string algorithm = "sha-256")
    {
        if (!Algorithms.TryGetValue(algorithm, out var hash))
        {
            throw new ArgumentException($"'{algorithm}' is not supported; use sha-256 or sha-512.", nameof(algorithm));
        }

        return $"{algorithm}=:{Convert.ToBase64String(hash(body.ToArray()))}:";
    }

    /// <summary>
    /// Checks <paramref name="header"/> against <paramref name="body"/>. Every supported algorithm listed must match;
    /// unsupported ones are ignored only when a supported one is also present.
    /// </summary>
    public static ContentDigestResult Verify(string? header, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return ContentDigestResult.Missing;
        }

        if (!TryParse(header, out var entries))
        {
            return ContentDigestResult.Malformed;
        }

        var checkedAny = false;
        var bytes = body.ToArray();
        foreach (var (algorithm, expected) in entries)
        {
            if (!Algorithms.TryGetValue(algorithm, out var hash))
            {
                continue;
            }

            checkedAny = true;
            if (!CryptographicOperations.FixedTimeEquals(hash(bytes), expected))
            {
                return ContentDigestResult.Mismatch;
            }
        }

        return checkedAny ? ContentDigestResult.Valid : ContentDigestResult.UnsupportedAlgorithm;
    }

    /// <summary>Parses an RFC 8941 dictionary whose members are byte sequences (<c>key=:base64:</c>), strictly.</summary>
    internal static bool TryParse(string header, out List<(string Algorithm, byte[] Digest)> entries)
    {
        entries = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        SkipSpaces(header, ref i);
        while (i < header.Length)
        {
            var start = i;
            if (!(header[i] is >= 'a' and <= 'z' || header[i] == '*'))
            {
                return false;
            }

            while (i < header.Length && (header[i] is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-' or '.' or '*'))
            {
                i++;
            }

            var key = header[start..i];
            if (i >= header.Length || header[i] != '=' || ++i >= header.Length || header[i] != ':')
            {
                return false;
            }

            var end = header.IndexOf(':', ++i);
            if (end < 0)
            {
                return false;
            }

            var encoded = header[i..end];
            if (encoded.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=')))
            {
                return false;
            }

            byte[] digest;
            try
            {
                digest = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                return false;
            }

            // RFC 8941: a repeated key overrides; for a digest header a repeat is ambiguous, so refuse it.
            if (!seen.Add(key))
            {
                return false;
            }

            entries.Add((key, digest));
            i = end + 1;
            SkipSpaces(header, ref i);
            if (i >= header.Length)
            {
                break;
            }

            if (header[i] != ',')
            {
                return false;
            }

            i++;
            SkipSpaces(header, ref i);
            if (i >= header.Length)
            {
                return false; // a trailing comma
            }
        }

        return entries.Count > 0;
    }

    private static void SkipSpaces(string value, ref int index)
    {
        while (index < value.Length && value[index] is ' ' or '\t')
        {
            index++;
        }
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, for callers holding a string body.</summary>
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
