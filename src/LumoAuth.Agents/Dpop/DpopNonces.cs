using System.Security.Cryptography;
using System.Text;
using LumoAuth.Agents.HttpSignatures.Keys;

namespace LumoAuth.Agents.Dpop;

/// <summary>
/// Server nonces for DPoP proofs (RFC 9449 §8, §9), without state: a nonce is a time window and an HMAC of it under a
/// secret every instance shares, so a nonce one instance handed out is good on the others. A nonce is good in the window
/// it was made in and the next one, so it lives one to two windows.
/// </summary>
public sealed class DpopNonces
{
    private readonly byte[] _secret;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;

    /// <summary>Creates the nonces under <paramref name="secret"/> (at least 32 bytes), each window <paramref name="window"/> long.</summary>
    public DpopNonces(byte[] secret, TimeSpan window, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 32)
        {
            throw new ArgumentException("A DPoP nonce secret holds at least 32 bytes.", nameof(secret));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.FromSeconds(1));
        _secret = secret;
        _window = window;
        _time = time;
    }

    /// <summary>The nonce of the current window.</summary>
    public string Current() => Make(Window(_time.GetUtcNow()));

    /// <summary>Whether <paramref name="nonce"/> was made in the current window or the one before.</summary>
    public bool IsValid(string? nonce)
    {
        if (string.IsNullOrEmpty(nonce) || nonce.Length > 64)
        {
            return false;
        }

        var now = Window(_time.GetUtcNow());
        var presented = Encoding.ASCII.GetBytes(nonce);
        return CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(Make(now))) ||
               CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(Make(now - 1)));
    }

    private long Window(DateTimeOffset at) => at.ToUnixTimeSeconds() / (long)_window.TotalSeconds;

    private string Make(long window)
    {
        var bytes = BitConverter.GetBytes(window);
        var mac = HMACSHA256.HashData(_secret, bytes);
        return Base64Url.Encode([.. bytes, .. mac.AsSpan(0, 16)]);
    }
}
