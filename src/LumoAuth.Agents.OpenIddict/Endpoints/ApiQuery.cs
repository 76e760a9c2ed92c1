using System.Globalization;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// Reads the query string and path values of an API request by hand, so that no binding failure ever reaches the host
/// (minimal APIs turn <c>take=abc</c> into an exception page when <c>ThrowOnBadRequest</c> is on). Every bad value is
/// collected under its parameter name; path values and query values with control characters are refused before any
/// store sees them.
/// </summary>
internal sealed class ApiQuery
{
    private readonly IQueryCollection _query;

    public ApiQuery(HttpContext http)
    {
        _query = http.Request.Query;
        foreach (var (name, value) in http.Request.RouteValues)
        {
            if (value is string text && HasControlCharacters(text))
            {
                Errors[name] = [$"The path segment '{name}' must not contain control characters."];
            }
        }

        foreach (var (name, values) in _query)
        {
            if (HasControlCharacters(name) || values.Any(v => v is not null && HasControlCharacters(v)))
            {
                Errors[Printable(name)] = [$"'{Printable(name)}' must not contain control characters."];
            }
        }
    }

    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// The filter of an endpoint that reads no query parameter: a path segment or query value with control characters
    /// is refused (400 <c>query_invalid</c>, under <paramref name="title"/>) before the handler runs.
    /// </summary>
    public static Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> RequirePrintable(string title) =>
        (context, next) => new ApiQuery(context.HttpContext) is { IsValid: false } query ? ValueTask.FromResult<object?>(query.Refusal(title)) : next(context);

    /// <summary>400 <c>query_invalid</c> naming every bad parameter.</summary>
    public ApiRefusal Refusal(string title) => new(StatusCodes.Status400BadRequest, AgentErrorCodes.QueryInvalid, title,
        $"These parameters are not valid: {string.Join(", ", Errors.Keys)}.", Errors);

    /// <summary>A text parameter, or <see langword="null"/> when absent; repeated or over-long values are errors.</summary>
    public string? Text(string name, int maxLength = 500)
    {
        if (!TrySingle(name, out var value) || value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            Errors[name] = [$"'{name}' must be at most {maxLength} characters."];
            return null;
        }

        return value;
    }

    public int Integer(string name, int fallback, int min, int max)
    {
        if (!TrySingle(name, out var value) || value is null)
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            Errors[name] = [min == 0 && max == int.MaxValue ? $"'{name}' must be a whole number, zero or more." : $"'{name}' must be a whole number between {min} and {max}."];
            return fallback;
        }

        return number;
    }

    public DateTimeOffset? Instant(string name)
    {
        if (!TrySingle(name, out var value) || value is null)
        {
            return null;
        }

        if (value.Length > 64 || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            Errors[name] = [$"'{name}' must be an ISO 8601 date and time, e.g. 2026-12-01T00:00:00Z."];
            return null;
        }

        return instant;
    }

    public TEnum? Choice<TEnum>(string name) where TEnum : struct, Enum
    {
        if (!TrySingle(name, out var value) || value is null)
        {
            return null;
        }

        if (Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !value.Any(char.IsDigit))
        {
            return parsed;
        }

        Errors[name] = [$"'{name}' must be one of {string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}."];
        return null;
    }

    private bool TrySingle(string name, out string? value)
    {
        value = null;
        if (Errors.ContainsKey(name) || !_query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return false;
        }

        if (values.Count > 1)
        {
            Errors[name] = [$"'{name}' must appear once."];
            return false;
        }

        value = values[0];
        return true;
    }

    /// <summary>True when <paramref name="value"/> holds a control character (NUL included) or a lone surrogate.</summary>
    public static bool HasControlCharacters(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) || char.IsLowSurrogate(c))
            {
                return true;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return true;
                }

                i++;
            }
        }

        return false;
    }

    /// <summary>A parameter name safe to echo: control characters replaced, at most 64 characters.</summary>
    public static string Printable(string name) => ErrorText.Echo(name);
}
