using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.HttpSignatures.Keys;

/// <summary>RFC 7638 JWK thumbprints: SHA-256 over the required members in lexicographic order, without whitespace.</summary>
public static class JwkThumbprint
{
    /// <summary>The base64url thumbprint of <paramref name="jwk"/>.</summary>
    /// <exception cref="ArgumentException">The key type is not one RFC 7638 defines, or a required member is missing.</exception>
    public static string Compute(JsonObject jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        var kty = Member(jwk, "kty");
        string[] required = kty switch
        {
            "OKP" => ["crv", "kty", "x"],
            "EC" => ["crv", "kty", "x", "y"],
            "RSA" => ["e", "kty", "n"],
            "oct" => ["k", "kty"],
            _ => throw new ArgumentException($"No thumbprint is defined for key type '{kty}'.", nameof(jwk)),
        };

        // The members are base64url or names: no character needs JSON escaping, so the canonical form is plain text.
        var canonical = new StringBuilder("{");
        foreach (var name in required)
        {
            var value = Member(jwk, name);
            if (value.Any(c => c is '"' or '\\' || c < 0x20))
            {
                throw new ArgumentException($"The member '{name}' holds characters a JWK member never holds.", nameof(jwk));
            }

            canonical.Append(canonical.Length > 1 ? "," : string.Empty).Append('"').Append(name).Append("\":\"").Append(value).Append('"');
        }

        canonical.Append('}');
        return Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())));
    }

    private static string Member(JsonObject jwk, string name) =>
        jwk[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : throw new ArgumentException($"The JWK has no '{name}'.", nameof(jwk));
}
