using System.Collections.Concurrent;
using System.Text.Json;
using LumoAuth.Agents.Clients;
using LumoAuth.Agents.Configuration;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace LumoAuth.Agents.OpenIddict.Registration;

/// <summary>
/// Keeps the OpenIddict application of a user's own client (from a metadata document or a dynamic registration) as its
/// metadata says: public, PKCE required, the code and refresh grants it named, its redirect URIs exactly, the scopes of
/// <see cref="ClientRegistrationOptions.Scopes"/> (those the client listed, if it listed any) and every registered
/// protected resource. An application the host registered itself under the same <c>client_id</c> is never touched.
/// </summary>
internal sealed class UserClientRegistrar
{
    /// <summary>The application property that marks an application as registered this way, and how.</summary>
    public const string RegistrationProperty = "lumo_client_registration";

    // Per instance: the document last written for each client, so a cached document costs no store round trip.
    private static readonly ConcurrentDictionary<string, ClientMetadataDocument> Applied = new(StringComparer.Ordinal);

    private readonly IOpenIddictApplicationManager _applications;
    private readonly IOptionsMonitor<LumoAgentsOptions> _options;

    public UserClientRegistrar(IOpenIddictApplicationManager applications, IOptionsMonitor<LumoAgentsOptions> options)
    {
        _applications = applications;
        _options = options;
    }

    /// <summary>
    /// Creates or updates the application of a metadata document client. False when the host registered an application
    /// under that <c>client_id</c> itself: that registration stands.
    /// </summary>
    public async ValueTask<bool> EnsureAsync(ClientMetadataDocument document, string how, CancellationToken cancellationToken)
    {
        if (Applied.TryGetValue(document.ClientId, out var applied) && ReferenceEquals(applied, document))
        {
            return true;
        }

        var descriptor = Describe(document, how);
        var existing = await _applications.FindByClientIdAsync(document.ClientId, cancellationToken);
        if (existing is not null)
        {
            var current = new OpenIddictApplicationDescriptor();
            await _applications.PopulateAsync(current, existing, cancellationToken);
            if (!current.Properties.ContainsKey(RegistrationProperty))
            {
                return false;
            }

            await _applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            try
            {
                await _applications.CreateAsync(descriptor, cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Another request or instance may have created it at the same moment, from the same document.
                if (await _applications.FindByClientIdAsync(document.ClientId, cancellationToken) is null)
                {
                    throw;
                }
            }
        }

        if (Applied.Count >= 10_000)
        {
            Applied.Clear(); // bounded like the resolver's cache: a cleared entry costs one store round trip, no more
        }

        Applied[document.ClientId] = document;
        return true;
    }

    /// <summary>Creates the application of a dynamically registered client, under its new <c>client_id</c>.</summary>
    public async ValueTask CreateAsync(ClientMetadataDocument metadata, CancellationToken cancellationToken) =>
        await _applications.CreateAsync(Describe(metadata, "dynamic"), cancellationToken);

    /// <summary>The scopes these clients may hold: the configured list, or the default one.</summary>
    public IReadOnlyCollection<string> AllowedScopes()
    {
        var options = _options.CurrentValue;
        if (options.ClientRegistration.Scopes.Count > 0)
        {
            return options.ClientRegistration.Scopes.ToHashSet(StringComparer.Ordinal);
        }

        var scopes = new HashSet<string>([OpenIddictConstants.Scopes.OpenId, OpenIddictConstants.Scopes.Profile, OpenIddictConstants.Scopes.Email, OpenIddictConstants.Scopes.OfflineAccess], StringComparer.Ordinal);
        scopes.UnionWith(options.Resources.SelectMany(r => r.Scopes));
        return scopes;
    }

    private OpenIddictApplicationDescriptor Describe(ClientMetadataDocument document, string how)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = document.ClientId,
            ClientType = ClientTypes.Public,
            ConsentType = ConsentTypes.Explicit,
            ApplicationType = document.RedirectUris.All(u => u.Scheme == Uri.UriSchemeHttps && !u.IsLoopback) ? ApplicationTypes.Web : ApplicationTypes.Native,
            DisplayName = document.ClientName ?? (Uri.TryCreate(document.ClientId, UriKind.Absolute, out var address) ? address.Host : "Unnamed client"),
        };
        descriptor.RedirectUris.UnionWith(document.RedirectUris);
        descriptor.Permissions.UnionWith(
        [
            Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.Revocation,
            Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code,
        ]);
        if (document.GrantTypes.Contains(GrantTypes.RefreshToken))
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.RefreshToken);
        }

        var allowed = AllowedScopes();
        foreach (var scope in document.Scopes is null ? allowed : allowed.Intersect(document.Scopes, StringComparer.Ordinal))
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }

        foreach (var resource in _options.CurrentValue.Resources)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Resource + resource.Identifier);
        }

        descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        descriptor.Properties[RegistrationProperty] = JsonSerializer.SerializeToElement(how);
        return descriptor;
    }
}
