using FluentValidation;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Configuration;

/// <summary>Validates <see cref="LumoAgentsOptions"/> at start-up, naming every bad field.</summary>
internal sealed class LumoAgentsOptionsValidator : AbstractValidator<LumoAgentsOptions>, IValidateOptions<LumoAgentsOptions>
{
    /// <summary>Creates the validator.</summary>
    public LumoAgentsOptionsValidator()
    {
        RuleFor(o => o.MaxAccessTokenLifetime).GreaterThan(TimeSpan.Zero).LessThanOrEqualTo(TimeSpan.FromHours(1));
        RuleFor(o => o.AuditRetention).GreaterThanOrEqualTo(TimeSpan.FromDays(1)).When(o => o.AuditRetention is not null)
            .WithMessage("'Audit Retention' must be at least one day (or unset to keep records forever).");
        RuleFor(o => o.AuditRetentionInterval).GreaterThanOrEqualTo(TimeSpan.FromMinutes(1));
        RuleFor(o => o.RegistryCacheDuration).GreaterThanOrEqualTo(TimeSpan.Zero).LessThanOrEqualTo(TimeSpan.FromMinutes(1));
        RuleFor(o => o.MaxChainDepth).InclusiveBetween(1, Delegation.ActorChain.MaxParseDepth);
        RuleFor(o => o.ErrorDocumentationUri).NotNull().Must(u => u is null || u.IsAbsoluteUri).WithMessage("'Error Documentation Uri' must be absolute.");
        RuleFor(o => o.DefaultAudience).Must(a => a is null || (a.Length > 0 && !a.Contains(' ', StringComparison.Ordinal)))
            .WithMessage("'Default Audience' must be a single non-empty value.");
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LumoAgentsOptions options)
    {
        var result = Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => $"{LumoAgentsOptions.SectionName}:{e.PropertyName}: {e.ErrorMessage}"));
    }
}
