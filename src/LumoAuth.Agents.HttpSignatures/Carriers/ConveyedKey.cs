using System.Text.Json.Nodes;
using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Carriers;

/// <summary>
/// The key a signer conveys with its signature, as the HTTP Signature-Key draft defines it: an inline public key
/// (<c>hwk</c>) or a JWT whose <c>cnf.jwk</c> holds the key (<c>jwt</c>, an AAuth agent token). The verifier still
/// decides whether to trust it.
/// </summary>
/// <param name="Label">The signature label it belongs to.</param>
/// <param name="Scheme"><c>hwk</c> or <c>jwt</c>.</param>
/// <param name="Jwk">For <c>hwk</c>: the public key as a JWK.</param>
/// <param name="Jwt">For <c>jwt</c>: the token.</param>
public sealed record ConveyedKey(string Label, string Scheme, JsonObject? Jwk, string? Jwt)
{
    /// <summary>The inline-key scheme.</summary>
    public const string InlineKey = "hwk";

    /// <summary>The JWT scheme (key in <c>cnf.jwk</c>).</summary>
    public const string JwtScheme = "jwt";

    private static readonly string[] JwkMembers = ["kty", "crv", "x", "y", "n", "e", "alg"];

    /// <summary>
    /// Reads the member for <paramref name="label"/> from <c>Signature-Key</c> field lines. False with the reason
    /// when the field is malformed, repeats a label, lacks the label, or uses a scheme this library does not read.
    /// </summary>
    public static bool TryRead(IEnumerable<string> fieldLines, string label, out ConveyedKey? key, out string? error)
    {
        ArgumentNullException.ThrowIfNull(fieldLines);
        key = null;
        var lines = fieldLines.ToList();
        if (lines.Count == 0)
        {
            error = "The request has no Signature-Key field.";
            return false;
        }

        if (!SfParser.TryParseDictionary(string.Join(", ", lines), rejectRepeatedKeys: true, out var members))
        {
            error = "The Signature-Key field is not a valid dictionary, or repeats a label.";
            return false;
        }

        var member = members.FirstOrDefault(m => m.Key == label).Value;
        if (member is not SfItem { Value: SfToken { Value: var scheme } } item)
        {
            error = $"The Signature-Key field has no key for the signature '{label}'.";
            return false;
        }

        switch (scheme)
        {
            case JwtScheme when item.Parameters["jwt"] is SfString { Value: var jwt } && jwt.Length > 0:
                key = new ConveyedKey(label, scheme, null, jwt);
                error = null;
                return true;
            case InlineKey:
                var jwk = new JsonObject();
                foreach (var (name, value) in item.Parameters)
                {
                    if (!JwkMembers.Contains(name) || value is not SfString { Value: var text })
                    {
                        error = $"The inline key has the unexpected parameter '{name}'; only public key members are allowed, as strings.";
                        return false;
                    }

                    jwk[name] = text;
                }

                key = new ConveyedKey(label, scheme, jwk, null);
                error = null;
                return true;
            default:
                error = $"The Signature-Key scheme '{scheme}' is not supported here; use 'jwt' or 'hwk'.";
                return false;
        }
    }

    /// <summary>The <c>Signature-Key</c> member conveying an agent token.</summary>
    public static string ForJwt(string label, string jwt) => label + "=jwt;jwt=" + new SfString(jwt).Serialize();

    /// <summary>The <c>Signature-Key</c> member conveying a public key inline.</summary>
    public static string ForInlineKey(string label, JsonObject publicJwk)
    {
        ArgumentNullException.ThrowIfNull(publicJwk);
        var parameters = new SfParameters();
        foreach (var name in JwkMembers)
        {
            if (publicJwk[name] is JsonValue value && value.TryGetValue<string>(out var text))
            {
                parameters.Add(new(name, new SfString(text)));
            }
        }

        return label + "=hwk" + parameters.Serialize();
    }
}
