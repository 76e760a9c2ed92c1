using System.Text.Json;
using LumoAuth.Agents.Workload;

namespace LumoAuth.Agents.Tests.Workload;

public class WorkloadBindingsTests
{
    private static readonly JsonElement Claims = JsonDocument.Parse("""
        {"sub":"system:serviceaccount:agents:bot","repository_id":123,"flag":true,
         "kubernetes.io":{"namespace":"agents","serviceaccount":{"name":"bot","uid":"u-1"}}}
        """).RootElement;

    [TestCase("kubernetes.io/namespace", "agents", true)]
    [TestCase("kubernetes.io/serviceaccount/uid", "u-1", true)]
    [TestCase("kubernetes.io/serviceaccount/uid", "u-2", false)]
    [TestCase("repository_id", "123", true)]
    [TestCase("flag", "true", true)]
    [TestCase("kubernetes.io/missing", "x", false)]
    [TestCase("kubernetes.io", "agents", false)]
    public void Claim_conditions_walk_nested_objects_and_compare_exactly(string path, string value, bool matches) =>
        Assert.That(WorkloadBindings.ClaimEquals(Claims, path, value), Is.EqualTo(matches));

    [Test]
    public async Task The_Kubernetes_helper_pins_namespace_name_and_uid()
    {
        var binding = WorkloadBinding.Kubernetes("bot", "k8s", "agents", "bot", "u-1");
        Assert.That(binding.Subject, Is.EqualTo("system:serviceaccount:agents:bot"));
        var resolver = new WorkloadBindings(new StaticOptions<WorkloadOptions>(new WorkloadOptions { Bindings = [binding] }), new LumoAuth.Agents.InMemory.InMemoryWorkloadBindingStore());
        var identity = new WorkloadIdentity { IssuerName = "k8s", Issuer = "https://k8s", Subject = binding.Subject, ExpiresAt = DateTimeOffset.MaxValue, Claims = Claims };
        Assert.That(await resolver.ResolveAsync(identity, default), Is.EqualTo(new[] { "bot" }));
        Assert.That(await resolver.ResolveAsync(identity with { IssuerName = "other" }, default), Is.Empty, "bindings are per issuer");
    }
}
