namespace LumoAuth.Agents;

/// <summary>
/// Creates and removes the OAuth client that backs an agent in the host's token server.
/// The OpenIddict integration provides one over <c>IOpenIddictApplicationManager</c>.
/// </summary>
public interface IAgentClientRegistrar
{
    /// <summary>True when a client with this id already exists.</summary>
    ValueTask<bool> ExistsAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Creates the client for <paramref name="registration"/>.</summary>
    ValueTask CreateAsync(AgentRegistration registration, CancellationToken cancellationToken);

    /// <summary>Makes the client's scope permissions exactly <paramref name="capabilities"/>.</summary>
    ValueTask SetCapabilitiesAsync(string clientId, IEnumerable<string> capabilities, CancellationToken cancellationToken);

    /// <summary>Replaces the client's secret (stored hashed); returns <see langword="false"/> when no such client exists.</summary>
    ValueTask<bool> SetSecretAsync(string clientId, string secret, CancellationToken cancellationToken);

    /// <summary>Removes the client; used to undo a registration that failed half-way.</summary>
    ValueTask DeleteAsync(string clientId, CancellationToken cancellationToken);
}
