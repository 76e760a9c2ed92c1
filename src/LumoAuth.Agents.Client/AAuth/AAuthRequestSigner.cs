using System.Security.Cryptography;
using LumoAuth.Agents.HttpSignatures.Carriers;
using LumoAuth.Agents.HttpSignatures.Digests;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;

namespace LumoAuth.Agents.Client.AAuth;

/// <summary>
/// Signs an outgoing <see cref="HttpRequestMessage"/> the way AAuth verifiers demand: <c>Content-Digest</c> over the
/// body, and a signature covering <c>@method</c>, <c>@target-uri</c>, the digest and content type when there is a body,
/// <c>authorization</c> when present and <c>signature-key</c>, with <c>created</c>, a fresh <c>nonce</c> and the key's
/// thumbprint as <c>keyid</c>.
/// </summary>
public static class AAuthRequestSigner
{
    /// <summary>
    /// Signs <paramref name="request"/> in place. The key is conveyed by <paramref name="agentToken"/> (its
    /// <c>cnf.jwk</c>) or, without one, inline (only for the agent-token request).
    /// </summary>
    public static async Task SignAsync(HttpRequestMessage request, HttpSignatureKey key, string? agentToken, SignatureCarrier carrier, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(key);
        foreach (var name in new[] { "Signature-Input", "Signature", "Signature-Key", AgentAuthField.HeaderName })
        {
            request.Headers.Remove(name);
        }

        var components = new List<string> { "@method", "@target-uri" };
        if (request.Content is { } content)
        {
            var body = await content.ReadAsByteArrayAsync(cancellationToken);
            content.Headers.Remove(ContentDigest.HeaderName);
            if (body.Length > 0)
            {
                content.Headers.TryAddWithoutValidation(ContentDigest.HeaderName, ContentDigest.Create(body));
                components.Add("content-digest");
                if (content.Headers.ContentType is not null)
                {
                    components.Add("content-type");
                }
            }
        }

        if (request.Headers.Authorization is not null)
        {
            components.Add("authorization");
        }

        // The conveyed key is always covered. With Agent-Auth the verifier rebuilds Signature-Key from its jwt member,
        // so the signer covers that same value without sending the header.
        string? keyMember = null;
        if (carrier == SignatureCarrier.SignatureHeaders || agentToken is not null)
        {
            keyMember = agentToken is null
                ? ConveyedKey.ForInlineKey("sig", key.ToPublicJwk() ?? throw new ArgumentException("A shared secret cannot sign AAuth requests.", nameof(key)))
                : ConveyedKey.ForJwt("sig", agentToken);
            components.Add("signature-key");
            if (carrier == SignatureCarrier.SignatureHeaders)
            {
                request.Headers.TryAddWithoutValidation("Signature-Key", keyMember);
            }
        }

        var parameters = new SignatureParameters
        {
            Created = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()),
            Nonce = Base64Url.Encode(RandomNumberGenerator.GetBytes(18)),
            KeyId = key.Thumbprint,
        };
        var message = ToMessage(request);
        if (carrier == SignatureCarrier.AgentAuth && keyMember is not null)
        {
            message = message with { Headers = [.. message.Headers, new("Signature-Key", keyMember)] };
        }

        var signature = HttpMessageSigner.Sign(message, "sig", components, parameters, key);
        if (carrier == SignatureCarrier.SignatureHeaders)
        {
            request.Headers.TryAddWithoutValidation("Signature-Input", signature.SignatureInput);
            request.Headers.TryAddWithoutValidation("Signature", signature.Signature);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(AgentAuthField.HeaderName, AgentAuthField.Create(signature, agentToken));
        }
    }

    /// <summary>The parts of <paramref name="request"/> a signature covers.</summary>
    public static HttpMessage ToMessage(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
        }

        if (request.Content is not null)
        {
            foreach (var (name, values) in request.Content.Headers.NonValidated)
            {
                headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
            }
        }

        return HttpMessage.ForRequest(request.Method.Method, request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request)), headers);
    }
}
