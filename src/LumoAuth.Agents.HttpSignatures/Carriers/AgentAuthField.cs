using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Carriers;

/// <summary>
/// The seed's single-header carrier of an RFC 9421 signature: <c>Agent-Auth</c>, a structured dictionary holding
/// the same three things the RFC headers carry separately —
/// <c>Agent-Auth: input=("@method" "@target-uri" ...);created=...;nonce="...";keyid="...", signature=:...:, jwt="&lt;agent token&gt;"</c>.
/// It is unfolded into <c>Signature-Input</c>, <c>Signature</c> and <c>Signature-Key</c> under the label <c>sig</c>, so
/// one verifier serves both carriers and the signature base is the same. The rebuilt <c>Signature-Key</c> value is
/// <c>sig=jwt;jwt="&lt;agent token&gt;"</c>; signers cover that value, so the agent token cannot be swapped in transit.
/// </summary>
public static class AgentAuthField
{
    /// <summary>The header name.</summary>
    public const string HeaderName = "Agent-Auth";

    /// <summary>The label the carried signature is given.</summary>
    public const string Label = "sig";

    /// <summary>Builds the header value from a signature made under <see cref="Label"/> and the agent token.</summary>
    public static string Create(Signatures.HttpMessageSignature signature, string? agentToken)
    {
        ArgumentNullException.ThrowIfNull(signature);
        if (signature.Label != Label)
        {
            throw new ArgumentException($"Sign with the label '{Label}' for the Agent-Auth carrier.", nameof(signature));
        }

        var input = signature.SignatureInput[(Label.Length + 1)..];
        var value = signature.Signature[(Label.Length + 1)..];
        return "input=" + input + ", signature=" + value + (agentToken is null ? string.Empty : ", jwt=" + new SfString(agentToken).Serialize());
    }

    /// <summary>
    /// Unfolds the header into RFC 9421 headers. False with the reason when it is malformed or repeated, or when the
    /// message also carries <c>Signature-Input</c>/<c>Signature</c> (two carriers at once are refused).
    /// </summary>
    public static bool TryUnfold(IReadOnlyList<KeyValuePair<string, string>> headers, out IReadOnlyList<KeyValuePair<string, string>> unfolded, out string? error)
    {
        ArgumentNullException.ThrowIfNull(headers);
        unfolded = headers;
        error = null;
        var carried = headers.Where(h => string.Equals(h.Key, HeaderName, StringComparison.OrdinalIgnoreCase)).ToList();
        if (carried.Count == 0)
        {
            return true;
        }

        if (carried.Count > 1)
        {
            error = "The Agent-Auth header appears more than once.";
            return false;
        }

        if (headers.Any(h => h.Key.Equals("Signature-Input", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Signature", StringComparison.OrdinalIgnoreCase) ||
                             h.Key.Equals("Signature-Key", StringComparison.OrdinalIgnoreCase)))
        {
            error = "The request carries its signature both in Agent-Auth and in Signature-Input/Signature; send one.";
            return false;
        }

        if (!SfParser.TryParseDictionary(carried[0].Value, rejectRepeatedKeys: true, out var members) ||
            members.FirstOrDefault(m => m.Key == "input").Value is not SfInnerList input ||
            members.FirstOrDefault(m => m.Key == "signature").Value is not SfItem { Value: SfBytes } signature ||
            members.Any(m => m.Key is not ("input" or "signature" or "jwt")))
        {
            error = "The Agent-Auth header must be a dictionary of 'input' (the covered components and parameters), 'signature' (a byte sequence) and optionally 'jwt'.";
            return false;
        }

        var result = headers.Where(h => !string.Equals(h.Key, HeaderName, StringComparison.OrdinalIgnoreCase)).ToList();
        result.Add(new("Signature-Input", Label + "=" + input.Serialize()));
        result.Add(new("Signature", Label + "=" + signature.Serialize()));
        if (members.FirstOrDefault(m => m.Key == "jwt").Value is { } jwt)
        {
            if (jwt is not SfItem { Value: SfString { Value: var token } } || token.Length == 0)
            {
                error = "The 'jwt' member of Agent-Auth must be a string.";
                return false;
            }

            result.Add(new("Signature-Key", ConveyedKey.ForJwt(Label, token)));
        }

        unfolded = result;
        return true;
    }
}
