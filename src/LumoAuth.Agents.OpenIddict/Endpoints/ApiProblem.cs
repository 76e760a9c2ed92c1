using System.Text;
using System.Text.Json;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// A refusal the pack's APIs answer with its problem and record in the audit trail: returned by a handler or filter,
/// written to the trail by <see cref="ApiAuditFilter"/> as the endpoint's <see cref="ApiAudit"/> says, so the answer and
/// the record come from one object. An answer that is not recorded (an unknown agent) is a plain
/// <see cref="ApiProblem"/> instead.
/// </summary>
internal sealed record ApiRefusal(int Status, string Code, string Title, string Detail, Dictionary<string, string[]>? Errors = null) : IResult
{
    /// <summary>The agent the audit record names, when the request named one before it was refused.</summary>
    public string? AgentId { get; init; }

    /// <summary>The words of the audit record, when they are not the problem's detail and fields.</summary>
    public string? AuditDescription { get; init; }

    public Task ExecuteAsync(HttpContext httpContext) => ToResult(httpContext).ExecuteAsync(httpContext);

    public ProblemHttpResult ToResult(HttpContext http) => ApiProblem.Of(http, Status, Code, Title, Detail, Errors);

    /// <summary>The refusal for the audit record: the detail and every bad field, never the values sent.</summary>
    public string Describe() => AuditDescription ?? (Errors is null || Errors.Count == 0
        ? Detail
        : Detail + " " + string.Join(" ", Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));

    /// <summary>400 <c>registration_invalid</c> from the registry's field errors; the record lists the fields alone.</summary>
    public static ApiRefusal FieldsInvalid(string agentId, string title, string what, Dictionary<string, string[]> errors) =>
        new(StatusCodes.Status400BadRequest, AgentErrorCodes.RegistrationInvalid, title,
            $"These {what} are not valid: {string.Join(", ", errors.Keys)}. Nothing was written.", errors)
        {
            AgentId = agentId,
            AuditDescription = string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")),
        };
}

/// <summary>
/// The RFC 9457 problems of the pack's APIs: <c>type</c> is the code's documentation (<c>…/errors#code</c>), the stable
/// code is repeated as <c>error_code</c>, and field errors are keyed by the request's own (snake_case) field names.
/// </summary>
internal static class ApiProblem
{
    public static ProblemHttpResult Of(HttpContext http, int status, string code, string title, string detail, IDictionary<string, string[]>? errors = null)
    {
        var problem = errors is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(errors);
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        problem.Type = TypeOf(http, code);
        problem.Extensions["error_code"] = code;
        return TypedResults.Problem(problem);
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
