using System.Text.Json;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents.Workload;

/// <summary>
/// Finds the agent a verified workload is bound to: same issuer, exact subject, every claim condition met. Bindings
/// come from configuration and from the registry (<see cref="IWorkloadBindingStore"/>).
/// </summary>
public class WorkloadBindings
{
    private readonly IOptionsMonitor<WorkloadOptions> _options;
    private readonly IWorkloadBindingStore _store;

    /// <summary>Creates the resolver.</summary>
    public WorkloadBindings(IOptionsMonitor<WorkloadOptions> options, IWorkloadBindingStore store)
    {
        _options = options;
        _store = store;
    }

    /// <summary>The ids of the agents bound to <paramref name="identity"/> (none, one, or an ambiguous several).</summary>
    public virtual async ValueTask<IReadOnlyList<string>> ResolveAsync(WorkloadIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var registered = await _store.FindAsync(identity.IssuerName, identity.Subject, cancellationToken);
        return _options.CurrentValue.Bindings.Concat(registered)
            .Where(b => string.Equals(b.Issuer, identity.IssuerName, StringComparison.Ordinal) &&
                        string.Equals(b.Subject, identity.Subject, StringComparison.Ordinal) &&
                        b.Claims.All(c => ClaimEquals(identity.Claims, c.Key, c.Value)))
            .Select(b => b.AgentId)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>True when the claim at <paramref name="path"/> ('/'-separated) equals <paramref name="expected"/>.</summary>
    public static bool ClaimEquals(JsonElement claims, string path, string expected)
    {
        ArgumentNullException.ThrowIfNull(path);
        var current = claims;
        foreach (var segment in path.Split('/'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return false;
            }
        }

        return current.ValueKind switch
        {
            JsonValueKind.String => string.Equals(current.GetString(), expected, StringComparison.Ordinal),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => string.Equals(current.GetRawText(), expected, StringComparison.Ordinal),
            _ => false,
        };
    }
}
