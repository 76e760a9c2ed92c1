using System.Text;
using BenchmarkDotNet.Attributes;
using LumoAuth.Agents.HttpSignatures.Digests;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.HttpSignatures.Signatures;
using LumoAuth.Agents.HttpSignatures.StructuredFields;
using LumoAuth.Agents.HttpSignatures.Verification;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>An AAuth request signature: building the RFC 9421 base, and the verifier's whole work for an ed25519 signature.</summary>
[MemoryDiagnoser]
public class HttpSignatureBenchmarks
{
    private static readonly DateTimeOffset Created = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly byte[] _body = Encoding.UTF8.GetBytes("{\"request_type\":\"auth\",\"scope\":\"read:articles\"}");
    private HttpMessage _message = null!;
    private SfInnerList _components = null!;
    private Ed25519SignatureKey _key = null!;
    private HttpSignatureKey _public = null!;
    private HttpMessageVerifier _verifier = null!;
    private SignatureVerificationPolicy _policy = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = Ed25519SignatureKey.Generate();
        _public = _key.ToPublic();
        var unsigned = HttpMessage.ForRequest("POST", new Uri("https://auth.example/t/acme-corp/api/v1/aauth/agent/token"),
        [
            new("Content-Type", "application/json"),
            new("Content-Digest", ContentDigest.Create(_body)),
            new("Signature-Key", "sig=jwt;jwt=\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudDpyZXNlYXJjaC1ib3QifQ.c2ln\""),
        ]);
        var signature = HttpMessageSigner.Sign(unsigned, "sig", ["@method", "@target-uri", "content-digest", "content-type", "signature-key"],
            new SignatureParameters { Created = Created, Nonce = "n", KeyId = _key.Thumbprint }, _key);
        _message = unsigned with { Headers = [.. unsigned.Headers, new("Signature-Input", signature.SignatureInput), new("Signature", signature.Signature)] };
        if (!SfParser.TryParseDictionary(signature.SignatureInput, out var inputs))
        {
            throw new InvalidOperationException("The signer wrote an unparseable Signature-Input.");
        }

        _components = (SfInnerList)inputs[0].Value;
        _verifier = new HttpMessageVerifier(new FixedTime(Created));
        _policy = new SignatureVerificationPolicy { RequiredComponents = ["@method", "@target-uri"] };
    }

    [Benchmark]
    public int BuildBase() => LumoAuth.Agents.HttpSignatures.Signatures.SignatureBase.TryBuild(_message, _components, out var text, out _) ? text.Length : -1;

    [Benchmark(Description = "Verify (ed25519, digest, policy)")]
    public async Task<bool> Verify() =>
        (await _verifier.VerifyAsync(_message, _body, _policy, (_, _) => ValueTask.FromResult<HttpSignatureKey?>(_public), CancellationToken.None)).Succeeded;

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
