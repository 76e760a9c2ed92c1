using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>The RFC 9421 §2.3 signature parameters, in the order they are serialized.</summary>
public sealed record SignatureParameters
{
    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z

    /// <summary>When the signature was created (<c>created</c>, seconds since the epoch).</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>When the signature stops being valid (<c>expires</c>).</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>A unique value for replay detection (<c>nonce</c>).</summary>
    public string? Nonce { get; init; }

    /// <summary>The algorithm the signer used (<c>alg</c>); the verifier still takes the algorithm from its key.</summary>
    public string? Algorithm { get; init; }

    /// <summary>The key identifier (<c>keyid</c>).</summary>
    public string? KeyId { get; init; }

    /// <summary>The application's tag for this kind of signature (<c>tag</c>).</summary>
    public string? Tag { get; init; }

    /// <summary>Serialized as signature parameters.</summary>
    public SfParameters ToSfParameters()
    {
        var parameters = new SfParameters();
        if (Created is { } created)
        {
            parameters.Add(new("created", new SfInteger(created.ToUnixTimeSeconds())));
        }

        if (Expires is { } expires)
        {
            parameters.Add(new("expires", new SfInteger(expires.ToUnixTimeSeconds())));
        }

        void Text(string name, string? value)
        {
            if (value is not null)
            {
                parameters.Add(new(name, new SfString(value)));
            }
        }

        Text("nonce", Nonce);
        Text("alg", Algorithm);
        Text("keyid", KeyId);
        Text("tag", Tag);
        return parameters;
    }

    /// <summary>
    /// Reads the parameters of a <c>Signature-Input</c> entry, checking the type of each one RFC 9421 defines;
    /// unknown parameters stay in the signature base but are not interpreted.
    /// </summary>
    public static bool TryRead(SfParameters parameters, out SignatureParameters result, out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        result = new SignatureParameters();
        error = null;
        foreach (var (key, value) in parameters)
        {
            switch (key, value)
            {
                case ("created", SfInteger { Value: >= 0 and <= MaxUnixSeconds } created):
                    result = result with { Created = DateTimeOffset.FromUnixTimeSeconds(created.Value) };
                    break;
                case ("expires", SfInteger { Value: >= 0 and <= MaxUnixSeconds } expires):
                    result = result with { Expires = DateTimeOffset.FromUnixTimeSeconds(expires.Value) };
                    break;
                case ("nonce", SfString nonce):
                    result = result with { Nonce = nonce.Value };
                    break;
                case ("alg", SfString alg):
                    result = result with { Algorithm = alg.Value };
                    break;
                case ("keyid", SfString keyId):
                    result = result with { KeyId = keyId.Value };
                    break;
                case ("tag", SfString tag):
                    result = result with { Tag = tag.Value };
                    break;
                case ("created" or "expires", _):
                    error = $"The signature parameter '{key}' must be a non-negative integer of seconds before the year 10000.";
                    return false;
                case ("nonce" or "alg" or "keyid" or "tag", _):
                    error = $"The signature parameter '{key}' must be a string.";
                    return false;
            }
        }

        return true;
    }
}
