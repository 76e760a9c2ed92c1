using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>Creating and validating an RFC 9068 access token per algorithm, as the server and resources do.</summary>
[MemoryDiagnoser]
public class JwtBenchmarks
{
    private readonly JsonWebTokenHandler _handler = new();
    private SigningCredentials _credentials = null!;
    private TokenValidationParameters _validation = null!;
    private string _token = null!;

    [Params("RS256", "ES256", "PS256")]
    public string Algorithm { get; set; } = "ES256";

    [GlobalSetup]
    public void Setup()
    {
        SecurityKey key = Algorithm == "ES256"
            ? new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "k" }
            : new RsaSecurityKey(RSA.Create(2048)) { KeyId = "k" };
        _credentials = new SigningCredentials(key, Algorithm);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = "https://auth.example/",
            ValidAudience = "acme-api",
            IssuerSigningKey = key,
            ValidTypes = ["at+jwt"],
        };
        _token = Create();
    }

    [Benchmark]
    public string Create() => _handler.CreateToken(new SecurityTokenDescriptor
    {
        TokenType = "at+jwt",
        Issuer = "https://auth.example/",
        Audience = "acme-api",
        Expires = DateTime.UtcNow.AddMinutes(5),
        Claims = new Dictionary<string, object>
        {
            ["sub"] = "user:alice",
            ["client_id"] = "research-bot",
            ["scope"] = "read:articles search:web",
            ["jti"] = "0123456789abcdef",
        },
        SigningCredentials = _credentials,
    });

    [Benchmark]
    public async Task<bool> Validate() => (await _handler.ValidateTokenAsync(_token, _validation)).IsValid;
}
