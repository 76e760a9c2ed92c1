namespace LumoAuth.Agents.Workload;

/// <summary>The platform that issues a workload's identity token; each knows the claim shape of its tokens.</summary>
public enum WorkloadPlatform
{
    /// <summary>Any OpenID Connect issuer: bind by exact subject and claim conditions.</summary>
    Oidc = 0,

    /// <summary>Kubernetes projected service account tokens (<c>kubernetes.io</c> claims: namespace, service account with uid, pod).</summary>
    Kubernetes,

    /// <summary>AWS outbound identity federation JWTs (per-account issuer).</summary>
    Aws,

    /// <summary>GCP metadata server identity tokens (bind the numeric <c>sub</c>, not the email).</summary>
    Gcp,

    /// <summary>Azure managed identity tokens (<c>tid</c>, <c>oid</c>).</summary>
    Azure,

    /// <summary>GitHub Actions OIDC tokens (bind <c>repository_id</c>, not only the repository name).</summary>
    GitHub,

    /// <summary>SPIFFE JWT-SVIDs (<c>sub</c> is the SPIFFE ID).</summary>
    Spiffe,
}
