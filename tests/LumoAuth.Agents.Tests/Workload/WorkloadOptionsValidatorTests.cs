using LumoAuth.Agents.Workload;

namespace LumoAuth.Agents.Tests.Workload;

public class WorkloadOptionsValidatorTests
{
    private static WorkloadIssuer Good(string name = "k8s") => new()
    {
        Name = name,
        Platform = WorkloadPlatform.Kubernetes,
        Issuer = "https://oidc.example/" + name,
        UseDiscovery = true,
        Audiences = ["lumo-agents"],
    };

    private static List<string> Failures(WorkloadOptions options) =>
        new WorkloadOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Test]
    public void A_well_formed_trust_and_binding_pass() =>
        Assert.That(Failures(new WorkloadOptions
        {
            Issuers = [Good()],
            Bindings = [WorkloadBinding.Kubernetes("research-bot", "k8s", "agents", "research-bot", "uid-1")],
        }), Is.Empty);

    [Test]
    public void Every_bad_field_is_named()
    {
        var bad = new WorkloadIssuer
        {
            Name = "Bad Name",
            Platform = WorkloadPlatform.Kubernetes,
            Issuer = "",
            JwksUri = new Uri("http://keys.example/jwks"),
            UseDiscovery = true,
            Audiences = ["https://kubernetes.default.svc"],
            Algorithms = ["none", "HS256"],
            ClockSkew = TimeSpan.FromMinutes(5),
        };
        var failures = string.Join("\n", Failures(new WorkloadOptions { Issuers = [bad], Bindings = [new WorkloadBinding { AgentId = "", Issuer = "nowhere", Subject = "repo:*" }] }));
        Assert.That(failures, Does.Contain("Name").And.Contain("KeySource").And.Contain("JwksUri").And.Contain("kubernetes.default.svc")
            .And.Contain("'none'").And.Contain("'HS256'").And.Contain("ClockSkew").And.Contain("AgentId").And.Contain("wildcards").And.Contain("'nowhere'"));
        Assert.That(failures, Does.Contain("LumoAgents:Workload:"));
    }

    [Test]
    public void An_issuer_without_audiences_is_refused() =>
        Assert.That(Failures(new WorkloadOptions { Issuers = [new WorkloadIssuer { Name = "x", Issuer = "https://x", UseDiscovery = true }] }),
            Has.Some.Contains("Audiences"));

    [Test]
    public void A_GitHub_binding_must_pin_the_repository_id()
    {
        var github = Good("github");
        github.Platform = WorkloadPlatform.GitHub;
        Assert.That(Failures(new WorkloadOptions { Issuers = [github], Bindings = [WorkloadBinding.Exact("bot", "github", "repo:acme/agents:ref:refs/heads/main")] }),
            Has.Some.Contains("repository_id"));
        Assert.That(Failures(new WorkloadOptions { Issuers = [github], Bindings = [WorkloadBinding.GitHub("bot", "github", "repo:acme/agents:ref:refs/heads/main", "42")] }),
            Is.Empty);
    }

    [Test]
    public void A_Kubernetes_trust_for_the_issuers_own_audience_is_refused()
    {
        var k8s = Good();
        k8s.Audiences = [k8s.Issuer];
        Assert.That(Failures(new WorkloadOptions { Issuers = [k8s] }), Has.Some.Contains("API server"));
    }

    [Test]
    public void A_Kubernetes_binding_must_pin_the_service_account_uid()
    {
        var unpinned = WorkloadBinding.Kubernetes("bot", "k8s", "agents", "bot", "uid-1");
        unpinned.Claims.Remove("kubernetes.io/serviceaccount/uid");
        Assert.That(Failures(new WorkloadOptions { Issuers = [Good()], Bindings = [unpinned] }), Has.Some.Contains("kubernetes.io/serviceaccount/uid"));
    }

    [Test]
    public void The_GitHub_issuer_is_recognised_by_its_url_whatever_the_platform_says()
    {
        var github = new WorkloadIssuer { Name = "gh", Issuer = "https://token.actions.githubusercontent.com", UseDiscovery = true, Audiences = ["a"] };
        Assert.That(Failures(new WorkloadOptions { Issuers = [github], Bindings = [WorkloadBinding.Exact("bot", "gh", "repo:acme/agents:ref:refs/heads/main")] }),
            Has.Some.Contains("repository_id"));
    }

    [Test]
    public void A_workload_may_be_bound_to_one_agent_only()
    {
        var issuer = new WorkloadIssuer { Name = "oidc", Issuer = "https://oidc.example", UseDiscovery = true, Audiences = ["a"] };
        Assert.That(Failures(new WorkloadOptions { Issuers = [issuer], Bindings = [WorkloadBinding.Exact("a", "oidc", "svc"), WorkloadBinding.Exact("b", "oidc", "svc")] }),
            Has.Some.Contains("one agent only"));
    }

    [Test]
    public void One_issuer_may_be_trusted_only_once()
    {
        var twin = Good("k8s-twin");
        twin.Issuer = Good().Issuer;
        Assert.That(Failures(new WorkloadOptions { Issuers = [Good(), twin] }), Has.Some.Contains("ambiguous"));
    }

    [Test]
    public void Pinned_keys_must_be_public()
    {
        var pinned = Good();
        pinned.UseDiscovery = false;
        pinned.PinnedJwks = """{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"1"}]}""";
        Assert.That(Failures(new WorkloadOptions { Issuers = [pinned] }), Has.Some.Contains("PinnedJwks"));
    }
}
