namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>Unpadded base64url (RFC 4648 §5), as JOSE uses it.</summary>
public static class Base64Url
{
    /// <summary>Encodes without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    /// <summary>Decodes strictly: padding and characters outside the alphabet are refused.</summary>
    /// <exception cref="FormatException">The text is not unpadded base64url.</exception>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('=', StringComparison.Ordinal) || !System.Buffers.Text.Base64Url.IsValid(text))
        {
            throw new FormatException("The value is not unpadded base64url.");
        }

        return System.Buffers.Text.Base64Url.DecodeFromChars(text);
    }
}
