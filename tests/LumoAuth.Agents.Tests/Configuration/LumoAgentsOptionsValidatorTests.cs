using LumoAuth.Agents.Configuration;

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
        });
        Assert.That(result.Failed, Is.True);
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:MaxAccessTokenLifetime"));
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:MaxChainDepth"));
        Assert.That(result.Failures, Has.Some.Contains("LumoAgents:DefaultAudience"));
    }
}
