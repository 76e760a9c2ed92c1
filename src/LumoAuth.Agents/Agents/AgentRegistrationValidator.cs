using System.Text.RegularExpressions;
using FluentValidation;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents;

/// <summary>
/// The rules every agent registration must meet. Each failure names its field, so a caller sees every bad
/// field at once.
/// </summary>
internal sealed partial class AgentRegistrationValidator : AbstractValidator<AgentRegistration>
{
    /// <summary>The largest token or call limit (10^15): far above any real budget, far below overflow.</summary>
    public const long MaxBudgetUnits = 1_000_000_000_000_000;

    /// <summary>The largest monthly cost limit: it is counted in ten-thousandths and stored as numeric(18,4).</summary>
    public const decimal MaxCostPerMonth = 99_999_999_999_999m;

    /// <summary>The shortest client secret accepted.</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>Creates the validator.</summary>
    public AgentRegistrationValidator()
    {
        RuleFor(r => r.Id)
            .NotEmpty()
            .Matches(IdPattern()).WithMessage("'Id' must be 2-63 characters of lower-case letters, digits and '-', starting with a letter or digit.");
        RuleFor(r => r.DisplayName).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Owner).NotEmpty().MaximumLength(200);
        RuleFor(r => r.Capabilities).NotEmpty().WithMessage("'Capabilities' must name at least one scope: an agent with none can hold no token.");
        RuleForEach(r => r.Capabilities)
            .Must(c => !AgentCapabilities.Reserved.Contains(c))
            .WithMessage("'{PropertyValue}' is reserved (a user's sign-in, or the pack's own administration and usage APIs) and cannot be an agent capability.")
            .Must(ScopeSet.IsValidToken).WithMessage("'{PropertyValue}' is not a valid scope (RFC 6749 section 3.3: printable ASCII, no space, quote or backslash).");
        RuleForEach(r => r.DefaultScopes)
            .Must((r, s) => r.Capabilities.Contains(s, StringComparer.Ordinal))
            .WithMessage("Default scope '{PropertyValue}' is not one of the agent's capabilities.");
        RuleForEach(r => r.AllowedTools)
            .Must(t => t is not null && (IdPattern().IsMatch(t) || IsResourceIdentifier(t)))
            .WithMessage("Allowed tool '{PropertyValue}' is not a valid agent or API identifier, nor a protected resource's canonical URI (HTTPS, no query or fragment).")
            .Must((r, t) => !string.Equals(r.Id, t, StringComparison.Ordinal)).WithMessage("An agent cannot list itself as an allowed tool.");
        RuleFor(r => r.CanActForUsers)
            .Must((r, can) => !can || r.Capabilities.Contains(AgentCapabilities.DelegateUser, StringComparer.Ordinal))
            .WithMessage($"'CanActForUsers' needs the '{AgentCapabilities.DelegateUser}' capability.");
        RuleFor(r => r.MaxChainDepth).InclusiveBetween(1, DelegationRules.HighestMaxChainDepth);
        RuleFor(r => r.AccessTokenLifetime)
            .GreaterThan(TimeSpan.Zero)
            .LessThanOrEqualTo(AgentProfile.MaxAccessTokenLifetime).WithMessage("'Access Token Lifetime' must be at most one hour.");
        RuleFor(r => r.Budget.MaxTokensPerDay).InclusiveBetween(1, MaxBudgetUnits).When(r => r.Budget.MaxTokensPerDay is not null).OverridePropertyName("Budget.MaxTokensPerDay");
        RuleFor(r => r.Budget.MaxApiCallsPerHour).InclusiveBetween(1, MaxBudgetUnits).When(r => r.Budget.MaxApiCallsPerHour is not null).OverridePropertyName("Budget.MaxApiCallsPerHour");
        RuleFor(r => r.Budget.MaxCostPerMonth).GreaterThan(0).LessThanOrEqualTo(MaxCostPerMonth).When(r => r.Budget.MaxCostPerMonth is not null).OverridePropertyName("Budget.MaxCostPerMonth");
        RuleFor(r => r.ClientSecret)
            .MinimumLength(MinimumSecretLength).When(r => r.ClientSecret is not null)
            .WithMessage($"'Client Secret' must be at least {MinimumSecretLength} characters.");
        RuleForEach(r => r.RedirectUris)
            .Must(IsAcceptableRedirectUri).WithMessage("Redirect URI '{PropertyValue}' must be absolute, without fragment, and https unless it is a loopback address.");
        RuleFor(r => r.Status).IsInEnum();
        RuleForEach(r => r.ApprovalRules)
            .Must((r, rule) => rule is not null && r.Capabilities.Contains(rule.Capability, StringComparer.Ordinal))
            .WithMessage("An approval rule names a capability the agent does not have.")
            .Must(rule => rule is null || (rule.ValidFor >= TimeSpan.Zero && rule.ValidFor <= Approvals.ApprovalRule.MaxValidFor))
            .WithMessage("An approval lasts from zero (one token) to one day.");
        RuleFor(r => r.ApprovalRules)
            .Must(rules => rules.Where(rule => rule is not null).Select(rule => rule.Capability).Distinct(StringComparer.Ordinal).Count() == rules.Count)
            .WithMessage("Each capability has at most one approval rule.");
        RuleFor(r => r.BackchannelNotificationEndpoint)
            .Must(uri => uri is null || IsAcceptableRedirectUri(uri))
            .WithMessage("'Backchannel Notification Endpoint' must be absolute, without fragment, and https unless it is a loopback address.");
        RuleFor(r => r.SigningKeys.Count).LessThanOrEqualTo(AgentProfile.MaxSigningKeys).OverridePropertyName("SigningKeys")
            .WithMessage($"At most {AgentProfile.MaxSigningKeys} signing keys can be enrolled.");
        RuleForEach(r => r.SigningKeys).Custom((jwk, context) =>
        {
            if (AgentSigningKeys.Check(jwk) is { } problem)
            {
                context.AddFailure(problem);
            }
        });
        RuleForEach(r => r.WorkloadBindings).ChildRules(binding =>
        {
            binding.RuleFor(b => b.Issuer).NotEmpty();
            binding.RuleFor(b => b.Subject).NotEmpty().Must(s => s is null || !s.Contains('*', StringComparison.Ordinal))
                .WithMessage("'Subject' is matched exactly; wildcards are not supported.");
            binding.RuleFor(b => b.AgentId).Must((b, id) => string.IsNullOrEmpty(id))
                .WithMessage("Leave 'AgentId' empty: the binding belongs to the agent being registered.");
        });
    }

    private static bool IsAcceptableRedirectUri(Uri? uri) =>
        uri is not null && uri.IsAbsoluteUri && string.IsNullOrEmpty(uri.Fragment) &&
        (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    /// <summary>A protected resource's identifier as RFC 8707 clients send it: canonical, HTTPS (HTTP on loopback), no query or fragment.</summary>
    private static bool IsResourceIdentifier(string tool) =>
        tool.Length <= 400 && Uri.TryCreate(tool, UriKind.Absolute, out var uri) && string.Equals(uri.AbsoluteUri, tool, StringComparison.Ordinal) &&
        uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0 &&
        (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
