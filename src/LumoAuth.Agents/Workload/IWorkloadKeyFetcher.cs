using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Workload;

/// <summary>Fetches an issuer's current signing keys from its configured source. Throws <see cref="WorkloadKeyFetchException"/> when it cannot.</summary>
public interface IWorkloadKeyFetcher
{
    /// <summary>Fetches the keys of <paramref name="issuer"/> (discovery or JWKS URI; never called for pinned keys).</summary>
    Task<JsonWebKeySet> FetchAsync(WorkloadIssuer issuer, CancellationToken cancellationToken);
}

/// <summary>An issuer's keys could not be fetched; the message says why, without secrets.</summary>
public sealed class WorkloadKeyFetchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkloadKeyFetchException() { }

    /// <summary>Creates the exception.</summary>
    public WorkloadKeyFetchException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public WorkloadKeyFetchException(string message, Exception innerException) : base(message, innerException) { }
}
