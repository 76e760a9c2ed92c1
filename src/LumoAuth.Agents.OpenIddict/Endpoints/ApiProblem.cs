using System.Text;
using System.Text.Json;
using LumoAuth.Agents.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// The RFC 9457 problems of the pack's APIs: <c>type</c> is the code's documentation (<c>…/errors#code</c>), the stable
/// code is repeated as <c>error_code</c>, and field errors are keyed by the request's own (snake_case) field names.
/// </summary>
internal static class ApiProblem
{
    public static IResult Of(HttpContext http, int status, string code, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        problem.Type = TypeOf(http, code);
        problem.Extensions["error_code"] = code;
        return Results.Problem(problem);
    }

    public static string TypeOf(HttpContext http, string code)
    {
        var documentation = http.RequestServices.GetService<IOptions<LumoAgentsOptions>>()?.Value.ErrorDocumentationUri
            ?? new LumoAgentsOptions().ErrorDocumentationUri;
        return documentation.GetLeftPart(UriPartial.Query) + "#" + code;
    }

    /// <summary>The registry's field errors, keyed as the request names the fields (<c>Capabilities[0]</c> → <c>capabilities[0]</c>).</summary>
    public static Dictionary<string, string[]> Fields(IEnumerable<FieldError> errors, string? dropPrefix = null) =>
        errors.GroupBy(e => WireName(e.Field, dropPrefix), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray(), StringComparer.Ordinal);

    /// <summary>
    /// Maps a C# member path of <see cref="AgentRegistration"/> (<c>Budget.MaxCostPerMonth</c>,
    /// <c>WorkloadBindings[0].Issuer</c>) to the wire's path (<c>budget.max_cost_per_month</c>, <c>[0].issuer</c> when
    /// the body is the bindings array itself).
    /// </summary>
    public static string WireName(string field, string? dropPrefix = null)
    {
        if (dropPrefix is not null && field.StartsWith(dropPrefix, StringComparison.Ordinal))
        {
            field = field[dropPrefix.Length..];
        }

        var wire = new StringBuilder();
        foreach (var segment in field.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            var index = bracket < 0 ? string.Empty : segment[bracket..];
            if (wire.Length > 0 && name.Length > 0)
            {
                wire.Append('.');
            }

            wire.Append(name switch
            {
                "" => string.Empty,
                nameof(AgentRegistration.AccessTokenLifetime) => "access_token_lifetime_seconds",
                nameof(BudgetPolicy.MaxTokensPerDay) => "max_llm_tokens_per_day",
                _ => JsonNamingPolicy.SnakeCaseLower.ConvertName(name),
            }).Append(index);
        }

        return wire.ToString();
    }
}
