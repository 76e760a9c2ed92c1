using System.Text.Json;
using LumoAuth.Agents.HttpSignatures.Keys;

namespace LumoAuth.Agents;

/// <summary>The agent's enrolled signing keys: checking them at registration and finding one by thumbprint.</summary>
public static class AgentSigningKeys
{
    /// <summary>The longest JWK text accepted (an RSA 4096 public key is well under it).</summary>
    public const int MaxJwkLength = 4096;

    /// <summary>Why <paramref name="jwk"/> cannot be enrolled, or null when it can.</summary>
    public static string? Check(string? jwk)
    {
        if (string.IsNullOrWhiteSpace(jwk) || jwk.Length > MaxJwkLength)
        {
            return $"A signing key must be a public JWK of at most {MaxJwkLength} characters.";
        }

        if (!TryParse(jwk, out var key, out var error))
        {
            return "Signing key: " + error;
        }

        key?.Dispose();
        return null;
    }

    /// <summary>Parses an enrolled key.</summary>
    public static bool TryParse(string jwk, out HttpSignatureKey? key, out string? error)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        key = null;
        try
        {
            using var document = JsonDocument.Parse(jwk);
            return HttpSignatureKey.TryFromPublicJwk(document.RootElement, null, out key, out error);
        }
        catch (JsonException)
        {
            error = "The key is not JSON.";
            return false;
        }
    }

    /// <summary>The enrolled key of <paramref name="agent"/> whose RFC 7638 thumbprint is <paramref name="thumbprint"/>, if any.</summary>
    public static HttpSignatureKey? Find(AgentProfile agent, string thumbprint)
    {
        ArgumentNullException.ThrowIfNull(agent);
        foreach (var jwk in agent.SigningKeys)
        {
            if (TryParse(jwk, out var key, out _) && key is not null)
            {
                if (string.Equals(key.Thumbprint, thumbprint, StringComparison.Ordinal))
                {
                    return key;
                }

                key.Dispose();
            }
        }

        return null;
    }
}
