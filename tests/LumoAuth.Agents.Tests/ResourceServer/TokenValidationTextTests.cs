using LumoAuth.Agents.AspNetCore;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Tests.ResourceServer;

/// <summary>The one wording of validation failures shared by the bearer handler and AAuth.</summary>
public class TokenValidationTextTests
{
    [Test]
    public void Each_failure_has_its_own_reason_and_the_callers_names_fill_the_blanks()
    {
        Assert.That(TokenValidationText.Describe(new SecurityTokenExpiredException(), "resource", "the token server"), Is.EqualTo("it has expired"));
        Assert.That(TokenValidationText.Describe(new SecurityTokenNotYetValidException(), "resource", "the token server"), Is.EqualTo("it is not valid yet"));
        Assert.That(TokenValidationText.Describe(new SecurityTokenInvalidAudienceException(), "resource", "the token server"), Is.EqualTo("it was not issued for this resource"));
        Assert.That(TokenValidationText.Describe(new SecurityTokenSignatureKeyNotFoundException(), "resource", "the token server"),
            Is.EqualTo("it names a key the token server does not publish"));
        Assert.That(TokenValidationText.Describe(new SecurityTokenInvalidTypeException(), "audience", "its issuer", "aa-agent+jwt"), Is.EqualTo("it is not of type aa-agent+jwt"));
        Assert.That(TokenValidationText.Describe(new SecurityTokenInvalidSignatureException(), "resource", "the token server"), Is.EqualTo("its signature does not verify"));
        Assert.That(TokenValidationText.Describe(new InvalidOperationException(), "resource", "the token server"), Is.EqualTo("it does not validate"));
        Assert.That(TokenValidationText.Describe(null, "resource", "the token server"), Is.EqualTo("it does not validate"));
    }
}
