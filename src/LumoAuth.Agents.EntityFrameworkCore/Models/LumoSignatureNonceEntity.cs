namespace LumoAuth.Agents.EntityFrameworkCore.Models;

/// <summary>A signature nonce already spent, held until its signature could no longer be accepted.</summary>
public class LumoSignatureNonceEntity
{
    /// <summary>The SHA-256 (hex) of the key-scoped nonce.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>When the nonce may be forgotten (UTC).</summary>
    public DateTime KeepUntil { get; set; }
}
