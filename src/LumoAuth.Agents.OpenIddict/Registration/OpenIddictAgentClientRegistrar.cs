using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.OpenIddict.Registration;

/// <summary>
/// Creates the OpenIddict application behind an agent: confidential when it has a secret, allowed the token
/// endpoint with client credentials and token exchange, and (with redirect URIs) the authorization code flow so it
/// can ask users for consent. Its scope permissions are exactly its capabilities.
/// </summary>
public sealed class OpenIddictAgentClientRegistrar : IAgentClientRegistrar
{
    private readonly IOpenIddictApplicationManager _applications;

    /// <summary>Creates the registrar.</summary>
    public OpenIddictAgentClientRegistrar(IOpenIddictApplicationManager applications) => _applications = applications;

    /// <inheritdoc />
    public async ValueTask<bool> ExistsAsync(string clientId, CancellationToken cancellationToken) =>
        await _applications.FindByClientIdAsync(clientId, cancellationToken) is not null;

    /// <inheritdoc />
    public async ValueTask CreateAsync(AgentRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = registration.Id,
            ClientSecret = registration.ClientSecret,
            ClientType = registration.ClientSecret is null ? ClientTypes.Public : ClientTypes.Confidential,
            DisplayName = registration.DisplayName,
            ConsentType = ConsentTypes.Explicit,
        };

        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Token,
            Permissions.GrantTypes.TokenExchange,
        ]);
        if (registration.ClientSecret is not null)
        {
            // A confidential agent may introspect the tokens meant for it (as a tool receiving delegated tokens).
            descriptor.Permissions.UnionWith([Permissions.GrantTypes.ClientCredentials, Permissions.Endpoints.Introspection]);
        }

        if (registration.RedirectUris.Count > 0)
        {
            descriptor.Permissions.UnionWith(
            [
                Permissions.Endpoints.Authorization,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
            ]);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            foreach (var uri in registration.RedirectUris)
            {
                descriptor.RedirectUris.Add(uri);
            }
        }

        foreach (var capability in registration.Capabilities)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + capability);
        }

        await _applications.CreateAsync(descriptor, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SetCapabilitiesAsync(string clientId, IEnumerable<string> capabilities, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var scopes = capabilities.ToList();
        return new(OnFreshApplicationAsync(clientId, async application =>
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            await _applications.PopulateAsync(descriptor, application, cancellationToken);
            descriptor.Permissions.RemoveWhere(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal));
            foreach (var capability in scopes)
            {
                descriptor.Permissions.Add(Permissions.Prefixes.Scope + capability);
            }

            await _applications.UpdateAsync(application, descriptor, cancellationToken);
        }, cancellationToken));
    }

    /// <inheritdoc />
    public async ValueTask<bool> SetSecretAsync(string clientId, string secret, CancellationToken cancellationToken) =>
        await OnFreshApplicationAsync(clientId, async application =>
        {
            var descriptor = new OpenIddictApplicationDescriptor();
            await _applications.PopulateAsync(descriptor, application, cancellationToken);
            descriptor.ClientSecret = secret;
            descriptor.ClientType = ClientTypes.Confidential;
            descriptor.Permissions.UnionWith([Permissions.GrantTypes.ClientCredentials, Permissions.Endpoints.Introspection]);
            await _applications.UpdateAsync(application, descriptor, cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string clientId, CancellationToken cancellationToken) =>
        await OnFreshApplicationAsync(clientId, application => _applications.DeleteAsync(application, cancellationToken).AsTask(), cancellationToken);

    /// <summary>
    /// Runs <paramref name="write"/> on the client's application; when the application turns out to have changed since it
    /// was read (a copy kept for a moment by this or another instance), reads it again and runs it once more. Returns
    /// <see langword="false"/> when there is no such client.
    /// </summary>
    private async Task<bool> OnFreshApplicationAsync(string clientId, Func<object, Task> write, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await _applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application)
            {
                return false;
            }

            try
            {
                await write(application);
                return true;
            }
            catch (OpenIddictExceptions.ConcurrencyException) when (attempt == 1)
            {
                // read again: the cache was dropped when the change was detected
            }
        }
    }
}
