namespace LumoAuth.Agents.Workload;

/// <summary>
/// Binds verified workload tokens to one agent: the issuer (by name), the exact subject, and claim conditions that
/// must all hold. Pin immutable ids where the platform has them (Kubernetes service account uid, GitHub
/// <c>repository_id</c>, GCP numeric <c>sub</c>). The platform helpers build the usual shapes.
/// </summary>
public sealed class WorkloadBinding
{
    /// <summary>The agent the workload logs in as.</summary>
    public string AgentId { get; set; } = string.Empty;

    /// <summary>The trusted issuer's <see cref="WorkloadIssuer.Name"/>.</summary>
    public string Issuer { get; set; } = string.Empty;

    /// <summary>The exact <c>sub</c> of the workload's tokens.</summary>
    public string Subject { get; set; } = string.Empty;

    /// <summary>
    /// Claims that must equal the given values. A name may walk into nested objects with '/':
    /// <c>kubernetes.io/serviceaccount/uid</c>. Numbers and booleans compare by their JSON text.
    /// </summary>
    public IDictionary<string, string> Claims { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A Kubernetes service account: subject <c>system:serviceaccount:{namespace}:{name}</c>, with namespace, name and uid pinned.</summary>
    public static WorkloadBinding Kubernetes(string agentId, string issuer, string @namespace, string serviceAccount, string uid)
    {
        var binding = new WorkloadBinding
        {
            AgentId = agentId,
            Issuer = issuer,
            Subject = $"system:serviceaccount:{@namespace}:{serviceAccount}",
            Claims =
            {
                ["kubernetes.io/namespace"] = @namespace,
                ["kubernetes.io/serviceaccount/name"] = serviceAccount,
                ["kubernetes.io/serviceaccount/uid"] = uid,
            },
        };
        return binding;
    }

    /// <summary>A GitHub Actions workflow: the exact <c>sub</c> (e.g. <c>repo:acme/agents:ref:refs/heads/main</c>) and the immutable <c>repository_id</c>.</summary>
    public static WorkloadBinding GitHub(string agentId, string issuer, string subject, string repositoryId) => new()
    {
        AgentId = agentId,
        Issuer = issuer,
        Subject = subject,
        Claims = { ["repository_id"] = repositoryId },
    };

    /// <summary>An Azure managed identity: the tenant (<c>tid</c>) and object id (<c>oid</c>), which is also its subject.</summary>
    public static WorkloadBinding Azure(string agentId, string issuer, string tenantId, string objectId) => new()
    {
        AgentId = agentId,
        Issuer = issuer,
        Subject = objectId,
        Claims = { ["tid"] = tenantId, ["oid"] = objectId },
    };

    /// <summary>Any other issuer (AWS, GCP's numeric subject, a SPIFFE ID, plain OIDC): the exact subject.</summary>
    public static WorkloadBinding Exact(string agentId, string issuer, string subject) => new()
    {
        AgentId = agentId,
        Issuer = issuer,
        Subject = subject,
    };
}
