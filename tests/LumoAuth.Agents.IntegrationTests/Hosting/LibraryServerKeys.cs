using System.Security.Cryptography;
using LumoAuth.Agents.AAuth;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// Keys generated for one deployment of the test host, in memory only: the server's ES256 signing key and its
/// encryption key, and the co-hosted articles resource's key for resource tokens. Instances of one deployment share
/// them, as a real fleet shares its key vault.
/// </summary>
public sealed class LibraryServerKeys
{
    public ECDsaSecurityKey Signing { get; } = NewEcdsaKey();

    public SymmetricSecurityKey Encryption { get; } = new(RandomNumberGenerator.GetBytes(32));

    public ECDsaSecurityKey ArticlesResource { get; } = NewEcdsaKey();

    /// <summary>The articles resource as the token server knows it: its identifier and the public half of its key.</summary>
    public AAuthResource ArticlesResourceTrust()
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(ArticlesResource);
        var resource = new AAuthResource { Id = TestTenant.ArticlesResourceId, Identifier = TestTenant.ArticlesResource };
        resource.SigningKeys.Add(System.Text.Json.JsonSerializer.Serialize(new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, alg = "ES256" }));
        return resource;
    }

    private static ECDsaSecurityKey NewEcdsaKey()
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        key.KeyId = Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        return key;
    }
}
