using System.Globalization;
using System.Text;
using System.Text.Json;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;

namespace LumoAuth.Agents.Approvals;

/// <summary>What an agent may ask a user to approve in RFC 9396 <c>authorization_details</c>.</summary>
internal static class AuthorizationDetailsReader
{
    private const int MaxDetails = 10;
    private const int MaxDetailStrings = 20;
    private const int MaxDetailStringLength = 200;

    /// <summary>
    /// Reads RFC 9396 <c>authorization_details</c>: a JSON array (no duplicate members) of at most 10 objects, each of a
    /// type the server knows (<see cref="ApprovalOptions.AuthorizationDetailTypes"/>) whose capability the agent holds, with
    /// <c>locations</c> among its allowed tools (or the default audience), <c>actions</c> short strings and <c>amount</c>, when present, a currency and
    /// a decimal value. Returns the details re-serialised and the capabilities they need.
    /// </summary>
    public static (string? Details, IReadOnlyList<string> Capabilities, AgentError? Error) Read(string value, AgentProfile agent, LumoAgentsOptions options)
    {
        var settings = options.Approvals;
        static (string?, IReadOnlyList<string>, AgentError?) Invalid(string description) =>
            (null, [], new AgentError(AgentErrorCodes.AuthorizationDetailsInvalid, OAuthErrors.InvalidAuthorizationDetails, description));

        if (Encoding.UTF8.GetByteCount(value) > settings.MaxAuthorizationDetailsBytes)
        {
            return Invalid($"The 'authorization_details' are longer than {settings.MaxAuthorizationDetailsBytes} bytes.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(value, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 8 });
        }
        catch (JsonException)
        {
            return Invalid("The 'authorization_details' are not JSON (RFC 9396: an array of objects, each member once).");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() is 0 or > MaxDetails)
            {
                return Invalid($"The 'authorization_details' must be a JSON array of 1 to {MaxDetails} objects.");
            }

            var capabilities = new List<string>();
            foreach (var detail in root.EnumerateArray())
            {
                if (detail.ValueKind != JsonValueKind.Object || !detail.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
                {
                    return Invalid("Each authorization detail must be an object with a string 'type'.");
                }

                var type = typeElement.GetString()!;
                if (!settings.AuthorizationDetailTypes.TryGetValue(type, out var capability))
                {
                    return Invalid($"The authorization detail type '{Shorten(type)}' is not one this server knows.");
                }

                if (!agent.Capabilities.Contains(capability))
                {
                    return Invalid($"The authorization detail type '{type}' needs the capability '{capability}', which agent '{agent.Id}' does not have.");
                }

                if (StringArray(detail, "locations") is { } locationsError)
                {
                    return Invalid(locationsError);
                }

                if (detail.TryGetProperty("locations", out var locations))
                {
                    foreach (var location in locations.EnumerateArray().Select(l => l.GetString()!))
                    {
                        if (!agent.AllowedTools.Contains(location) && !string.Equals(location, options.DefaultAudience, StringComparison.Ordinal))
                        {
                            return Invalid($"The location '{Shorten(location)}' is not an allowed tool of agent '{agent.Id}'.");
                        }
                    }
                }

                if (StringArray(detail, "actions") is { } actionsError)
                {
                    return Invalid(actionsError);
                }

                if (detail.TryGetProperty("amount", out var amount) &&
                    (amount.ValueKind != JsonValueKind.Object ||
                     !amount.TryGetProperty("currency", out var currency) || currency.ValueKind != JsonValueKind.String || currency.GetString()!.Length != 3 ||
                     !currency.GetString()!.All(char.IsAsciiLetterUpper) ||
                     !amount.TryGetProperty("value", out var amountValue) || amountValue.ValueKind != JsonValueKind.String ||
                     !decimal.TryParse(amountValue.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed) || parsed <= 0))
                {
                    return Invalid("An 'amount' must be an object with an ISO 4217 'currency' (three capital letters) and a positive decimal 'value' as a string.");
                }

                if (!capabilities.Contains(capability, StringComparer.Ordinal))
                {
                    capabilities.Add(capability);
                }
            }

            return (root.GetRawText(), capabilities, null);
        }

        static string? StringArray(JsonElement detail, string name)
        {
            if (!detail.TryGetProperty(name, out var array))
            {
                return null;
            }

            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() is 0 or > MaxDetailStrings ||
                array.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || e.GetString()!.Length is 0 or > MaxDetailStringLength))
            {
                return $"'{name}' must be an array of 1 to {MaxDetailStrings} strings of at most {MaxDetailStringLength} characters.";
            }

            return null;
        }

        static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
    }
}
