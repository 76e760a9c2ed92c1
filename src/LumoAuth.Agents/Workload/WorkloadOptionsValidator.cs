using FluentValidation;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>Validates <see cref="WorkloadOptions"/> at start-up, naming every bad field.</summary>
internal sealed class WorkloadOptionsValidator : AbstractValidator<WorkloadOptions>, IValidateOptions<WorkloadOptions>
{
    /// <summary>Asymmetric signature algorithms that may be allowed; never <c>none</c>, never HMAC.</summary>
    public static readonly IReadOnlySet<string> AllowableAlgorithms = new HashSet<string>(StringComparer.Ordinal)
    {
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
    };

    /// <summary>The Kubernetes API server's own audiences: a token meant for it must never log an agent in.</summary>
    public static readonly IReadOnlySet<string> KubernetesApiAudiences = new HashSet<string>(StringComparer.Ordinal)
    {
        "https://kubernetes.default.svc", "https://kubernetes.default.svc.cluster.local", "kubernetes.default.svc", "api", "https://kubernetes.default.svc.cluster.local:443",
    };

    /// <summary>Creates the validator.</summary>
    public WorkloadOptionsValidator()
    {
        RuleForEach(o => o.Issuers).ChildRules(issuer =>
        {
            issuer.RuleFor(i => i.Name).NotEmpty().Matches("^[a-z0-9][a-z0-9._-]{0,62}$")
                .WithMessage("'Name' must be 1-63 characters of lower-case letters, digits, '.', '_' or '-'.");
            issuer.RuleFor(i => i.Issuer).NotEmpty();
            issuer.RuleFor(i => i).Must(i => (i.UseDiscovery ? 1 : 0) + (i.JwksUri is null ? 0 : 1) + (i.HasPinnedKeys ? 1 : 0) == 1)
                .WithName("KeySource").WithMessage("Exactly one key source is needed: UseDiscovery, JwksUri, or PinnedJwks/PinnedJwksFile.");
            issuer.RuleFor(i => i.JwksUri).Must((i, uri) => uri is null || (uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttps || (i.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))))
                .WithMessage("'JwksUri' must be an absolute https URI (http only with AllowHttp).");
            issuer.RuleFor(i => i.Issuer).Must((i, iss) => !i.UseDiscovery || (Uri.TryCreate(iss, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (i.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))))
                .WithMessage("With UseDiscovery, 'Issuer' must be an absolute https URI (http only with AllowHttp).");
            issuer.RuleFor(i => i.PinnedJwks).Must(BeAPublicJwks!).When(i => !string.IsNullOrWhiteSpace(i.PinnedJwks))
                .WithMessage("'PinnedJwks' must be a JWKS document with at least one public key and no private key material.");
            issuer.RuleFor(i => i.PinnedJwksFile).Must(f => File.Exists(f) && BeAPublicJwks(File.ReadAllText(f!))).When(i => !string.IsNullOrWhiteSpace(i.PinnedJwksFile))
                .WithMessage("'PinnedJwksFile' must name a readable JWKS file with at least one public key and no private key material.");
            issuer.RuleFor(i => i.Audiences).NotEmpty().WithMessage("'Audiences' must name this server's identifier: a token for any audience would do otherwise.");
            issuer.RuleForEach(i => i.Audiences).NotEmpty()
                .Must((i, a) => i.Platform != WorkloadPlatform.Kubernetes || (!KubernetesApiAudiences.Contains(a) && !string.Equals(a, i.Issuer, StringComparison.Ordinal)))
                .WithMessage("'{PropertyValue}' is the Kubernetes API server's audience (its default, or the issuer itself); use a projected token with this server's audience.");
            issuer.RuleForEach(i => i.Algorithms).Must(a => AllowableAlgorithms.Contains(a))
                .WithMessage("'{PropertyValue}' is not an allowed algorithm; use asymmetric ones (RS*, PS*, ES*), never 'none' or HMAC.");
            issuer.RuleFor(i => i.ClockSkew).InclusiveBetween(TimeSpan.Zero, TimeSpan.FromSeconds(60));
            issuer.RuleFor(i => i.MaxTokenAge).GreaterThan(TimeSpan.Zero);
            issuer.RuleFor(i => i.MaxTokenLifetime).GreaterThan(TimeSpan.Zero);
        });
        RuleFor(o => o.Issuers).Must(list => list.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count() == list.Count)
            .WithMessage("Issuer names must be unique.");
        RuleFor(o => o.Issuers).Must(list => list.Select(i => i.Issuer).Distinct(StringComparer.Ordinal).Count() == list.Count)
            .WithMessage("Each 'iss' may be trusted once: two entries for one issuer would make its choice ambiguous.");
        RuleForEach(o => o.Bindings).ChildRules(binding =>
        {
            binding.RuleFor(b => b.AgentId).NotEmpty();
            binding.RuleFor(b => b.Subject).NotEmpty().Must(s => s is null || !s.Contains('*', StringComparison.Ordinal))
                .WithMessage("'Subject' is matched exactly; wildcards are not supported (a wildcard would admit any workload of the issuer).");
            binding.RuleForEach(b => b.Claims).Must(c => !string.IsNullOrEmpty(c.Key) && c.Value is not null)
                .WithMessage("Claim conditions need a name and a value.");
        });
        RuleForEach(o => o.Bindings).Must((o, b) => o.FindByName(b.Issuer) is not null)
            .WithMessage((o, b) => $"Binding of agent '{b.AgentId}' names issuer '{b.Issuer}', which is not configured.");
        RuleForEach(o => o.Bindings).Must((o, b) => MissingClaims(o.FindByName(b.Issuer), b).Count == 0)
            .WithMessage((o, b) => $"Binding of agent '{b.AgentId}' to '{b.Issuer}' must pin {string.Join(", ", MissingClaims(o.FindByName(b.Issuer), b).Select(c => $"'{c}'"))}: its subject alone does not identify one workload.");
        RuleFor(o => o.Bindings).Must(list => list.GroupBy(b => (b.Issuer, b.Subject)).All(g => g.Select(b => b.AgentId).Distinct(StringComparer.Ordinal).Count() == 1))
            .WithMessage("A workload (issuer and subject) may be bound to one agent only.");
        RuleFor(o => o.MaxTokenBytes).InclusiveBetween(1024, 64 * 1024);
        RuleFor(o => o.RefreshThrottle).GreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        RuleFor(o => o.LastKnownGoodWindow).GreaterThan(TimeSpan.Zero);
        RuleFor(o => o.KeyRefreshInterval).GreaterThanOrEqualTo(TimeSpan.FromMinutes(1));
        RuleFor(o => o.FetchTimeout).InclusiveBetween(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        RuleFor(o => o.MaxDocumentBytes).InclusiveBetween(1024, 1024 * 1024);
        RuleFor(o => o.MaxKeys).InclusiveBetween(1, 256);
    }

    /// <summary>The claims <paramref name="binding"/> must pin for <paramref name="issuer"/> but does not.</summary>
    public static IReadOnlyList<string> MissingClaims(WorkloadIssuer? issuer, WorkloadBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        return issuer is null ? [] : issuer.RequiredBindingClaims.Where(c => !binding.Claims.ContainsKey(c)).ToList();
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, WorkloadOptions options)
    {
        var result = Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => $"{WorkloadOptions.SectionName}:{e.PropertyName}: {e.ErrorMessage}"));
    }

    private static bool BeAPublicJwks(string json)
    {
        try
        {
            var set = new JsonWebKeySet(json);
            return set.Keys.Count > 0 && set.Keys.All(k => string.IsNullOrEmpty(k.D) && string.IsNullOrEmpty(k.K));
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
