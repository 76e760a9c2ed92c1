using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using LumoAuth.Agents.Dpop;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Verification;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>
/// Checking one DPoP proof (RFC 9449 §4.3) with the in-memory replay store, next to one bare ES256 verification: what a
/// proof costs beyond the signature itself, before the shared store's write.
/// </summary>
[MemoryDiagnoser]
public class DpopBenchmarks
{
    private static readonly Uri Endpoint = new("https://auth.example/connect/token");
    private readonly DpopOptions _options = new();
    private ECDsa _key = null!;
    private DpopProofValidator _validator = null!;
    private byte[] _payload = null!;
    private byte[] _signature = null!;
    private string[] _proofs = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _validator = new DpopProofValidator(new InMemorySignatureNonceStore(), TimeProvider.System);
        _payload = RandomNumberGenerator.GetBytes(300);
        _signature = _key.SignData(_payload, HashAlgorithmName.SHA256);
        var p = _key.ExportParameters(false);
        var header = new JsonObject
        {
            ["typ"] = "dpop+jwt", ["alg"] = "ES256",
            ["jwk"] = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.Encode(p.Q.X), ["y"] = Base64Url.Encode(p.Q.Y) },
        };
        // Distinct proofs (each jti is accepted once), made ahead so the benchmark measures checking only.
        _proofs = Enumerable.Range(0, 200_000).Select(i =>
        {
            var payload = new JsonObject { ["jti"] = "j" + i, ["htm"] = "POST", ["htu"] = Endpoint.AbsoluteUri, ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() };
            var input = Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()));
            return input + "." + Base64Url.Encode(_key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256));
        }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Baseline = true, Description = "One ES256 verification")]
    public bool Verify() => _key.VerifyData(_payload, _signature, HashAlgorithmName.SHA256);

    [Benchmark(Description = "DPoP proof check (in-memory replay store)")]
    public async Task<DpopProofOutcome> Check() =>
        await _validator.ValidateAsync(new DpopProofRequest { Proofs = [_proofs[_next++ % _proofs.Length]], Method = "POST", Uri = Endpoint }, _options, default);
}
