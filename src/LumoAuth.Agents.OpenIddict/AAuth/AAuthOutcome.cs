using System.Text.Json.Nodes;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Issuance;

namespace LumoAuth.Agents.OpenIddict.AAuth;

/// <summary>
/// What one AAuth request came to, before it is recorded and answered: the policy's <see cref="Decision"/> (an issuance
/// with its <see cref="Body"/>, or a refusal), or a <see cref="ProtocolError"/> found before any decision.
/// </summary>
internal sealed record AAuthOutcome
{
    /// <summary>The policy's decision, when the request got that far.</summary>
    public IssuanceDecision? Decision { get; init; }

    /// <summary>The refusal of a request the policy never saw (unreadable, badly signed, a token that does not verify).</summary>
    public AgentError? ProtocolError { get; init; }

    /// <summary>The answer of an issuance.</summary>
    public JsonObject? Body { get; init; }

    /// <summary>The id of the token issued.</summary>
    public string? TokenId { get; init; }

    /// <summary>The resource the request was for, as the audit records it.</summary>
    public string? Audience { get; init; }

    /// <summary>The <c>Signature-Error</c> header of a refused signature.</summary>
    public string? SignatureError { get; init; }

    /// <summary>When a spent budget resets: the refusal is a 429 with <c>Retry-After</c>.</summary>
    public DateTimeOffset? BudgetResetAt { get; init; }

    /// <summary>The refusal sent, if any.</summary>
    public AgentError? Refusal => ProtocolError ?? Decision?.Error;

    /// <summary>A refusal before any decision.</summary>
    public static AAuthOutcome Refused(string code, string oauthError, string description, string? audience = null, string? signatureError = null) =>
        new() { ProtocolError = new AgentError(code, oauthError, description), Audience = audience, SignatureError = signatureError };

    /// <summary>The policy's decision with nothing issued (a refusal), for <paramref name="audience"/>.</summary>
    public static AAuthOutcome Decided(IssuanceDecision decision, string? audience = null) => new() { Decision = decision, Audience = audience };
}
