using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.AAuth;

/// <summary>Fails start-up on AAuth options that would weaken it or that cannot work.</summary>
internal sealed class AAuthOptionsValidator : IValidateOptions<AAuthOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AAuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.AgentTokenLifetime <= TimeSpan.Zero || options.AgentTokenLifetime > TimeSpan.FromHours(24))
        {
            failures.Add("AAuth: AgentTokenLifetime must be more than zero and at most 24 hours.");
        }

        if (options.RefreshTokenLifetime <= TimeSpan.Zero || options.RefreshTokenLifetime > TimeSpan.FromDays(30))
        {
            failures.Add("AAuth: RefreshTokenLifetime must be more than zero and at most 30 days.");
        }

        if (options.SignatureMaxAge < TimeSpan.FromSeconds(5) || options.SignatureMaxAge > TimeSpan.FromMinutes(5))
        {
            failures.Add("AAuth: SignatureMaxAge must be between 5 seconds and 5 minutes.");
        }

        if (options.ResourceTokenMaxLifetime <= TimeSpan.Zero || options.ResourceTokenMaxLifetime > TimeSpan.FromHours(1))
        {
            failures.Add("AAuth: ResourceTokenMaxLifetime must be more than zero and at most 1 hour.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var identifiers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in options.Resources)
        {
            if (string.IsNullOrWhiteSpace(resource.Id) || !ids.Add(resource.Id))
            {
                failures.Add($"AAuth: every resource needs a unique Id ('{resource.Id}').");
            }

            if (resource.Identifier is not { IsAbsoluteUri: true } identifier || identifier.Scheme is not ("https" or "http") ||
                (identifier.Scheme == "http" && !identifier.IsLoopback) || !identifiers.Add(identifier.AbsoluteUri))
            {
                failures.Add($"AAuth: the resource '{resource.Id}' needs a unique absolute https Identifier (http only on loopback).");
            }

            if (resource.SigningKeys.Count == 0)
            {
                failures.Add($"AAuth: the resource '{resource.Id}' needs at least one public signing key (JWK) for its resource tokens.");
            }

            if (resource.SigningKeys.Any(k => !IsJwtKey(k)))
            {
                failures.Add($"AAuth: a signing key of the resource '{resource.Id}' is not a public JWK (EC, RSA or OKP).");
            }
        }

        var issuers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var provider in options.AgentProviders)
        {
            if (provider.Issuer is not { IsAbsoluteUri: true } issuer || !issuers.Add(issuer.AbsoluteUri))
            {
                failures.Add("AAuth: every agent provider needs a unique absolute Issuer.");
            }

            if (provider.SigningKeys.Count == 0 || provider.SigningKeys.Any(k => !IsJwtKey(k)))
            {
                failures.Add($"AAuth: the agent provider '{provider.Issuer}' needs public signing keys (JWK) for its agent tokens.");
            }

            if (provider.Agents.Count == 0)
            {
                failures.Add($"AAuth: the agent provider '{provider.Issuer}' maps none of its agents to a registered agent.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsJwtKey(string jwk)
    {
        try
        {
            var key = new Microsoft.IdentityModel.Tokens.JsonWebKey(jwk);
            return string.IsNullOrEmpty(key.D) && key.Kty is "EC" or "RSA" or "OKP";
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
