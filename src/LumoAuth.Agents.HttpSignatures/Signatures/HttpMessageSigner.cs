using System.Text;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.StructuredFields;

namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>One signature over a message: the <c>Signature-Input</c> and <c>Signature</c> dictionary members to add.</summary>
/// <param name="Label">The signature's label.</param>
/// <param name="SignatureInput">The <c>Signature-Input</c> member, <c>label=(...);params</c>.</param>
/// <param name="Signature">The <c>Signature</c> member, <c>label=:base64:</c>.</param>
/// <param name="SignatureBase">The signature base that was signed (for diagnostics).</param>
public sealed record HttpMessageSignature(string Label, string SignatureInput, string Signature, string SignatureBase);

/// <summary>Signs HTTP messages as RFC 9421 §3.1 says.</summary>
public static class HttpMessageSigner
{
    /// <summary>
    /// Signs <paramref name="message"/>. Each component is a name (<c>@method</c>, <c>content-digest</c>) or a
    /// serialized component identifier with parameters (<c>"@query-param";name="id"</c>, <c>"example-dict";key="a"</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A component cannot be covered (absent field, bad identifier) or the label is not an sf-key.</exception>
    public static HttpMessageSignature Sign(HttpMessage message, string label, IEnumerable<string> components, SignatureParameters parameters, HttpSignatureKey key)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(components);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(key);
        if (!SfParser.TryParseDictionary(label + "=1", out var check) || check.Count != 1)
        {
            throw new ArgumentException("The label must be a structured-field key: lower-case letters, digits, '_', '-', '.', '*'.", nameof(label));
        }

        var items = new List<SfItem>();
        foreach (var component in components)
        {
            var text = component.StartsWith('"') ? component : "\"" + component + "\"";
            if (!SfParser.TryParseItem(text, out var item))
            {
                throw new ArgumentException($"'{component}' is not a component identifier.", nameof(components));
            }

            items.Add(item);
        }

        var inner = new SfInnerList(items, parameters.ToSfParameters());
        if (!SignatureBase.TryBuild(message, inner, out var signatureBase, out var error))
        {
            throw new ArgumentException(error, nameof(components));
        }

        var signature = key.Sign(Encoding.ASCII.GetBytes(signatureBase));
        return new HttpMessageSignature(label, label + "=" + inner.Serialize(), label + "=" + new SfBytes(signature).Serialize(), signatureBase);
    }
}
