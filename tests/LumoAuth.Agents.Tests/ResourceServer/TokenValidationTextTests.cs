using LumoAuth.Agents.Shared;
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

public class TokenFailureTests
{
    [TestCase(typeof(SecurityTokenExpiredException), TokenFailure.Expired)]
    [TestCase(typeof(SecurityTokenNotYetValidException), TokenFailure.NotYetValid)]
    [TestCase(typeof(SecurityTokenInvalidTypeException), TokenFailure.WrongType)]
    [TestCase(typeof(SecurityTokenInvalidIssuerException), TokenFailure.WrongIssuer)]
    [TestCase(typeof(SecurityTokenInvalidAudienceException), TokenFailure.WrongAudience)]
    [TestCase(typeof(SecurityTokenNoExpirationException), TokenFailure.NoExpiry)]
    [TestCase(typeof(SecurityTokenSignatureKeyNotFoundException), TokenFailure.UnknownKey)]
    [TestCase(typeof(SecurityTokenInvalidSignatureException), TokenFailure.BadSignature)]
    [TestCase(typeof(SecurityTokenInvalidAlgorithmException), TokenFailure.AlgorithmNotAllowed)]
    [TestCase(typeof(InvalidOperationException), TokenFailure.Invalid)]
    public void A_validation_failure_has_a_kind_from_its_exception_type(Type exception, object kind) =>
        Assert.That(TokenValidationText.Classify((Exception)Activator.CreateInstance(exception)!), Is.EqualTo(kind));

    [Test]
    public void Every_kind_has_its_own_words()
    {
        var words = Enum.GetValues<TokenFailure>().Where(k => k is not TokenFailure.None and not TokenFailure.Invalid)
            .Select(k => TokenValidationText.Describe(k, "resource", "the token server")).ToList();
        Assert.That(words, Is.Unique);
        Assert.That(words, Has.None.EqualTo("it does not validate"));
    }

    [Test]
    public async Task An_AAuth_token_signed_by_a_key_not_given_fails_as_an_unknown_key_not_by_its_wording()
    {
        using var signer = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var now = DateTime.UtcNow;
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "agent+jwt", Issuer = "https://as.example/", Audience = "https://as.example/", IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(signer) { KeyId = "new-key" }, SecurityAlgorithms.EcdsaSha256),
        });
        var check = await AAuthJwt.ValidateAsync(token, "agent+jwt", "https://as.example/", "https://as.example/",
            [new ECDsaSecurityKey(other) { KeyId = "old-key" }]);
        Assert.That(check.Token, Is.Null);
        Assert.That(check.Failure, Is.AnyOf(TokenFailure.UnknownKey, TokenFailure.BadSignature), "a key roll the resource has not seen yet: it refreshes its keys");
    }
}
