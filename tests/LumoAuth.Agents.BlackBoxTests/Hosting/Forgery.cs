using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.BlackBoxTests.Hosting;

/// <summary>Builds forged and spliced JWTs from real ones, the way an attacker holding a token would.</summary>
public static class Forgery
{
    /// <summary>The decoded header of a compact JWT.</summary>
    public static JsonObject Header(string jwt) => Decode(jwt.Split('.')[0]);

    /// <summary>The decoded payload of a compact JWT.</summary>
    public static JsonObject Payload(string jwt) => Decode(jwt.Split('.')[1]);

    /// <summary>The token's header and payload with no signature under <c>alg</c> <paramref name="alg"/>.</summary>
    public static string WithoutSignature(string jwt, string alg, bool keepSignature = false)
    {
        var header = Header(jwt);
        header["alg"] = alg;
        header.Remove("kid");
        var parts = jwt.Split('.');
        return $"{Encode(header)}.{parts[1]}.{(keepSignature ? parts[2] : string.Empty)}";
    }

    /// <summary>The token re-signed HS256 with <paramref name="secret"/> (a public key, as in algorithm confusion).</summary>
    public static string Hs256(string jwt, byte[] secret, string? kid)
    {
        var header = new JsonObject { ["alg"] = "HS256", ["typ"] = Header(jwt)["typ"]?.GetValue<string>() ?? "at+jwt" };
        if (kid is not null)
        {
            header["kid"] = kid;
        }

        var input = $"{Encode(header)}.{jwt.Split('.')[1]}";
        return $"{input}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)))}";
    }

    /// <summary><paramref name="first"/>'s header and payload under <paramref name="second"/>'s signature.</summary>
    public static string Splice(string first, string second)
    {
        var a = first.Split('.');
        return $"{a[0]}.{a[1]}.{second.Split('.')[2]}";
    }

    /// <summary>The token with its payload changed and its original signature kept.</summary>
    public static string Tamper(string jwt, Action<JsonObject> change)
    {
        var parts = jwt.Split('.');
        var payload = Payload(jwt);
        change(payload);
        return $"{parts[0]}.{Encode(payload)}.{parts[2]}";
    }

    /// <summary>A new token signed ES256 with <paramref name="key"/>, with the given header fields and payload.</summary>
    public static string Es256(ECDsa key, JsonObject header, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(key);
        header["alg"] = "ES256";
        var input = $"{Encode(header)}.{Encode(payload)}";
        return $"{input}.{Base64UrlEncoder.Encode(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256))}";
    }

    /// <summary>The public half of an EC key as a JWK.</summary>
    public static JsonObject PublicJwk(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parameters = key.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["kty"] = "EC", ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X), ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y),
        };
    }

    /// <summary>The token with a zero ES256 signature (r = s = 0).</summary>
    public static string ZeroSignature(string jwt)
    {
        var parts = jwt.Split('.');
        return $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(new byte[64])}";
    }

    /// <summary>Base64url of a JSON object.</summary>
    public static string Encode(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Base64UrlEncoder.Encode(json.ToJsonString());
    }

    private static JsonObject Decode(string part) => JsonNode.Parse(Base64UrlEncoder.Decode(part))!.AsObject();
}
