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
        RuleForEach(o => o.Resources).ChildRules(resource =>
        {
            resource.RuleFor(r => r.Identifier).Must(IsCanonicalResource)
                .WithMessage(r => $"'{r.Identifier}' must be an absolute HTTPS URI (HTTP on loopback) without query or fragment, written in canonical form ('{Canonical(r.Identifier)}').");
            resource.RuleFor(r => r.Agent).Must(a => a is null || (a.Length > 0 && !a.Contains(' ', StringComparison.Ordinal)))
                .WithMessage("'Agent' must be the id of the agent that serves the resource, or unset.");
            resource.RuleForEach(r => r.Scopes).Must(s => !string.IsNullOrWhiteSpace(s) && !s.Contains(' ', StringComparison.Ordinal))
                .WithMessage("Each scope must be a single non-empty value.");
        });
        RuleFor(o => o.ClientRegistration.MetadataDocuments.MaxDocumentBytes).InclusiveBetween(512, 64 * 1024)
            .OverridePropertyName("ClientRegistration:MetadataDocuments:MaxDocumentBytes");
        RuleFor(o => o.ClientRegistration.MetadataDocuments.FetchTimeout).InclusiveBetween(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30))
            .OverridePropertyName("ClientRegistration:MetadataDocuments:FetchTimeout");
        RuleFor(o => o.ClientRegistration.MetadataDocuments.CacheDuration).InclusiveBetween(TimeSpan.Zero, TimeSpan.FromDays(1))
            .OverridePropertyName("ClientRegistration:MetadataDocuments:CacheDuration");
        RuleFor(o => o.ClientRegistration.Dynamic.RegistrationsPerHourPerIp).InclusiveBetween(1, 10_000)
            .OverridePropertyName("ClientRegistration:Dynamic:RegistrationsPerHourPerIp");
        RuleForEach(o => o.ClientRegistration.Dynamic.InitialAccessTokens).Must(t => t is { Length: >= 32 })
            .OverridePropertyName("ClientRegistration:Dynamic:InitialAccessTokens").WithMessage("Each initial access token must be at least 32 characters long.");
        RuleForEach(o => o.ClientRegistration.Scopes).Must(s => !string.IsNullOrWhiteSpace(s) && !s.Contains(' ', StringComparison.Ordinal))
            .OverridePropertyName("ClientRegistration:Scopes").WithMessage("Each scope must be a single non-empty value.");
        RuleFor(o => o.Dpop.ProofLifetime).InclusiveBetween(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1)).OverridePropertyName("Dpop:ProofLifetime");
        RuleFor(o => o.Dpop.ClockSkew).InclusiveBetween(TimeSpan.Zero, TimeSpan.FromMinutes(5)).OverridePropertyName("Dpop:ClockSkew");
        RuleFor(o => o.Dpop.MaxProofLength).InclusiveBetween(512, 64 * 1024).OverridePropertyName("Dpop:MaxProofLength");
        RuleFor(o => o.Dpop.NonceSecret).Must(secret => secret is { Length: >= 32 }).When(o => o.Dpop.RequireNonce)
            .OverridePropertyName("Dpop:NonceSecret").WithMessage("'Dpop:NonceSecret' must be at least 32 characters when 'Dpop:RequireNonce' is on.");
        RuleFor(o => o.Dpop.NonceLifetime).InclusiveBetween(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1)).OverridePropertyName("Dpop:NonceLifetime");
        RuleFor(o => o.Dpop.Algorithms).NotEmpty().Must(a => a.All(alg => alg is "ES256" or "ES384" or "ES512" or "PS256" or "PS384" or "PS512" or "RS256" or "RS384" or "RS512"))
            .OverridePropertyName("Dpop:Algorithms").WithMessage("DPoP proofs take asymmetric algorithms only: ES256/384/512, PS256/384/512, RS256/384/512.");
        RuleFor(o => o.Resources).Must(r => r.Select(x => x.Identifier).Distinct(StringComparer.Ordinal).Count() == r.Count)
            .WithMessage("Each resource identifier may be registered once.");
    }

    private static bool IsCanonicalResource(string identifier) =>
        Uri.TryCreate(identifier, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)) &&
        uri.Query.Length == 0 && uri.Fragment.Length == 0 && string.Equals(uri.AbsoluteUri, identifier, StringComparison.Ordinal);

    private static string Canonical(string identifier) => Uri.TryCreate(identifier, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Path) : identifier;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LumoAgentsOptions options)
    {
        var result = Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => $"{LumoAgentsOptions.SectionName}:{e.PropertyName}: {e.ErrorMessage}"));
    }
}
