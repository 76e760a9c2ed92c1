using LumoAuth.Agents.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.Tests.Configuration;

public class LumoAgentsOptionsValidatorTests
{
    [Test]
    public void Default_options_are_valid() =>
        Assert.That(new LumoAgentsOptionsValidator().Validate(null, new LumoAgentsOptions()).Succeeded, Is.True);

    [Test]
    public void Every_bad_field_is_named_with_its_section()
    {
        var result = new LumoAgentsOptionsValidator().Validate(null, new LumoAgentsOptions
        {
            MaxAccessTokenLifetime = TimeSpan.FromHours(5),
            MaxChainDepth = 0,
            DefaultAudience = "two words",
            RegistryCacheDuration = TimeSpan.FromMinutes(2),
        });
        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:MaxAccessTokenLifetime"));
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:MaxChainDepth"));
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:DefaultAudience"));
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:RegistryCacheDuration"));
    }

    [Test]
    public void A_negative_registry_cache_duration_is_refused_and_zero_is_allowed()
    {
        Assert.That(new LumoAgentsOptionsValidator().Validate(null, new LumoAgentsOptions { RegistryCacheDuration = TimeSpan.FromSeconds(-1) }).Failures,
            Has.Some.Contains("LumoAgents:RegistryCacheDuration"));
        Assert.That(new LumoAgentsOptionsValidator().Validate(null, new LumoAgentsOptions { RegistryCacheDuration = TimeSpan.Zero }).Succeeded, Is.True);
    }

    [TestCase("https://mcp.acme-corp.example/mcp", true)]
    [TestCase("http://localhost:5082/mcp", true)]
    [TestCase("https://api.acme-corp.example/", true)]
    [TestCase("https://api.acme-corp.example", false)]
    [TestCase("http://api.acme-corp.example/", false)]
    [TestCase("https://api.acme-corp.example/?a=b", false)]
    [TestCase("https://api.acme-corp.example/#f", false)]
    [TestCase("api.acme-corp.example", false)]
    public void A_resource_must_be_registered_by_its_canonical_https_uri(string identifier, bool valid)
    {
        var options = new LumoAgentsOptions();
        options.Resources.Add(new LumoAuth.Agents.Resources.ProtectedResource { Identifier = identifier });
        var result = new LumoAgentsOptionsValidator().Validate(null, options);
        Assert.That(result.Succeeded, Is.EqualTo(valid), string.Join("; ", result.Failures ?? []));
        if (!valid)
        {
            Assert.That(result.Failures, Has.Some.Contains("LumoAgents:Resources[0].Identifier"));
        }
    }

    [Test]
    public void A_resource_registered_twice_or_with_a_blank_scope_is_refused()
    {
        var options = new LumoAgentsOptions();
        options.Resources.Add(new LumoAuth.Agents.Resources.ProtectedResource { Identifier = "https://mcp.acme-corp.example/mcp" });
        options.Resources.Add(new LumoAuth.Agents.Resources.ProtectedResource { Identifier = "https://mcp.acme-corp.example/mcp", Scopes = { "two words" } });
        var failures = new LumoAgentsOptionsValidator().Validate(null, options).Failures;
        Assert.That(failures, Has.Some.Contains("registered once"));
        Assert.That(failures, Has.Some.Contains("LumoAgents:Resources[1].Scopes[0]"));
    }
}

public class AddLumoAgentsTests
{
    [Test]
    public void Start_up_fails_naming_the_call_to_make_when_no_store_is_registered()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddLumoAgents();
        using var provider = services.BuildServiceProvider();
        var failure = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => _ = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<LumoAgentsOptions>>().Value);
        Assert.That(failure!.Message, Does.Contain("IAgentStore").And.Contain("UseEntityFrameworkCore"));
    }

    [Test]
    public void In_memory_stores_satisfy_start_up_and_calling_twice_registers_each_service_once()
    {
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddLumoAgents().UseInMemoryStores();
        services.AddLumoAgents().UseInMemoryStores();
        using var provider = services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<LumoAgentsOptions>>().Value.MaxChainDepth, Is.EqualTo(10));
        Assert.That(services.Count(d => d.ServiceType == typeof(LumoAuth.Agents.IAgentStore)), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(LumoAuth.Agents.Delegation.DelegationPolicy)), Is.EqualTo(1));
    }
}
