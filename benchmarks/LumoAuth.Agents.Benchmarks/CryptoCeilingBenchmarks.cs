using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>
/// The machine's own ceiling for one delegation exchange: verify the subject token, verify the actor token, sign the
/// new token — the cryptography alone, on a token-sized payload, with nothing else.
/// </summary>
[MemoryDiagnoser]
public class CryptoCeilingBenchmarks
{
    private readonly byte[] _payload = RandomNumberGenerator.GetBytes(600);
    private ECDsa _ecdsa = null!;
    private RSA _rsa = null!;
    private byte[] _ecSignature = null!;
    private byte[] _rsaSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _rsa = RSA.Create(2048);
        _ecSignature = _ecdsa.SignData(_payload, HashAlgorithmName.SHA256);
        _rsaSignature = _rsa.SignData(_payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    [Benchmark(Description = "ES256 sign + 2 verifies")]
    public bool Es256Exchange() =>
        _ecdsa.VerifyData(_payload, _ecSignature, HashAlgorithmName.SHA256) &&
        _ecdsa.VerifyData(_payload, _ecSignature, HashAlgorithmName.SHA256) &&
        _ecdsa.SignData(_payload, HashAlgorithmName.SHA256).Length > 0;

    [Benchmark(Description = "RS256 sign + 2 verifies")]
    public bool Rs256Exchange() =>
        _rsa.VerifyData(_payload, _rsaSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) &&
        _rsa.VerifyData(_payload, _rsaSignature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) &&
        _rsa.SignData(_payload, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Length > 0;
}
