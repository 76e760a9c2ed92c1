using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Client.AAuth;
using LumoAuth.Agents.HttpSignatures.Keys;
using LumoAuth.Agents.LoadGenerator;
using Microsoft.Extensions.Options;

// Usage: LumoAuth.Agents.LoadGenerator --host <SampleHost.dll> --postgres <connection string> [--seconds 15] [--workers 32]
//        [--key <research-bot key pem>] [--server-core 0]
var options = Args.Parse(args);
bool Want(string scenario) => options.Only is null || options.Only.Split(',').Contains(scenario);
var culture = CultureInfo.InvariantCulture;
var dataDirectory = Directory.CreateTempSubdirectory("lumo-bench-").FullName;
var duration = TimeSpan.FromSeconds(options.Seconds);
var warmUpEach = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("LUMO_BENCH_WARMUP_SECONDS") ?? "20", CultureInfo.InvariantCulture));
var settings = new Dictionary<string, string>
{
    ["Sample:DataDirectory"] = dataDirectory,
    ["Sample:PublicOrigin"] = "http://127.0.0.1:5090/",
    ["Sample:DevKubernetesIssuer"] = "true",
    ["Sample:DiagnosticsEndpoint"] = "true",
    ["Database:Provider"] = "PostgreSql",
    ["ConnectionStrings:Default"] = options.Postgres,
    ["Logging:LogLevel:Default"] = "Warning",
    ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
};
foreach (var extra in (Environment.GetEnvironmentVariable("LUMO_BENCH_SETTINGS") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries))
{
    settings[extra[..extra.IndexOf('=', StringComparison.Ordinal)]] = extra[(extra.IndexOf('=', StringComparison.Ordinal) + 1)..];
}


Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformationText()}, server pinned to core {options.ServerCore}, load generator on the rest");
var results = new List<ScenarioResult>();
var dpopPairs = new List<(double Bearer, double Dpop)>();
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Workers, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };

string userToken = string.Empty, agentToken = string.Empty;
FormUrlEncodedContent Exchange(string subject, bool authenticate) => new(
[
    new("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
    new("subject_token", subject), new("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
    new("actor_token", agentToken), new("actor_token_type", "urn:ietf:params:oauth:token-type:access_token"),
    .. authenticate ? new KeyValuePair<string, string>[] { new("client_id", "research-bot"), new("client_secret", Setup.ResearchBotSecret) } : [],
]);

await using (var host = await HostProcess.StartAsync(options.Host, options.ServerCore, 5090, settings))
{
    var tokenUri = new Uri(host.BaseAddress, Setup.SeedTokenPath);
    userToken = await Setup.UserTokenAsync(host.BaseAddress);

    async Task Scenario(string name, Func<HttpClient, Task<HttpResponseMessage>> send, HttpStatusCode expected = HttpStatusCode.OK, double? targetRps = null)
    {
        if (!Want(name))
        {
            return;
        }

        agentToken = await Setup.AgentTokenAsync(host.BaseAddress); // fresh for each scenario (5-minute lifetime)
        Console.WriteLine("running: " + name);
        results.Add(await Load.RunAsync(name, host, http, send, options.Workers, duration, expected, targetRps));
    }

    Task<HttpResponseMessage> ClientCredentials(HttpClient c) => c.PostAsync(tokenUri, new FormUrlEncodedContent(
        [new("grant_type", "client_credentials"), new("client_id", "research-bot"), new("client_secret", Setup.ResearchBotSecret)]));
    // The same request with a DPoP proof (RFC 9449): a new ES256 proof per request, made on the load generator's core.
    using var dpopKey = LumoAuth.Agents.Client.Dpop.DpopKey.Generate();
    Task<HttpResponseMessage> ClientCredentialsDpop(HttpClient c)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, tokenUri)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", "research-bot"), new("client_secret", Setup.ResearchBotSecret)]),
        };
        request.Headers.TryAddWithoutValidation("DPoP", dpopKey.CreateProof("POST", tokenUri, DateTimeOffset.UtcNow));
        return c.SendAsync(request);
    }

    Task<HttpResponseMessage> Delegation(HttpClient c) => c.PostAsync(tokenUri, Exchange(userToken, authenticate: false));
    Task<HttpResponseMessage> DelegationAuthenticated(HttpClient c) => c.PostAsync(tokenUri, Exchange(userToken, authenticate: true));
    Task<HttpResponseMessage> Malformed(HttpClient c) => c.PostAsync(tokenUri, Exchange("not-a-token", authenticate: false));
    var badSignature = userToken[..^4] + (userToken[^4] == 'A' ? "B" : "A") + userToken[^3..];
    Task<HttpResponseMessage> BadSignature(HttpClient c) => c.PostAsync(tokenUri, Exchange(badSignature, authenticate: false));

    var workloadToken = await Setup.WorkloadTokenAsync(host.BaseAddress);
    Task<HttpResponseMessage> WorkloadExchange(HttpClient c) => c.PostAsync(tokenUri, new FormUrlEncodedContent(
    [
        new("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), new("subject_token", workloadToken),
        new("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"), new("subject_issuer", "kubernetes"),
    ]));

    using var key = Ed25519SignatureKey.FromPrivateKeyPem(File.ReadAllText(options.Key));
    var aauthEndpoint = new Uri(host.BaseAddress, "t/acme-corp/api/v1/aauth/agent/token");
    var clientOptions = new StaticOptions(new AAuthClientOptions { TokenEndpoint = aauthEndpoint, AgentId = "research-bot", SigningKey = key });
    using var aauth = new AAuthClient(new HttpClient(), clientOptions, TimeProvider.System);
    var agent = (await aauth.GetAgentTokenAsync(CancellationToken.None)).Value;
    using var challenge = new HttpRequestMessage(HttpMethod.Get, new Uri(host.BaseAddress, "sample-api/articles"));
    await AAuthRequestSigner.SignAsync(challenge, key, agent, SignatureCarrier.SignatureHeaders, DateTimeOffset.UtcNow, CancellationToken.None);
    using var challenged = await http.SendAsync(challenge);
    var resourceToken = JsonNode.Parse(await challenged.Content.ReadAsStringAsync())!["resource_token"]!.GetValue<string>();
    var body = new JsonObject { ["request_type"] = "auth", ["agent_token"] = agent, ["resource_token"] = resourceToken, ["scope"] = "read:articles" }.ToJsonString();
    async Task<HttpResponseMessage> AAuthAuth(HttpClient c)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, aauthEndpoint) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        await AAuthRequestSigner.SignAsync(request, key, agent, SignatureCarrier.SignatureHeaders, DateTimeOffset.UtcNow, CancellationToken.None);
        return await c.SendAsync(request);
    }

    // Every request shape is warmed before anything is measured: the ones measured at their maximum rate or compared with
    // each other (bearer and DPoP client credentials) longest, the others long enough for their own code paths.
    agentToken = await Setup.AgentTokenAsync(host.BaseAddress);
    var brief = warmUpEach / 4;
    await Load.WarmUpAsync(http,
    [
        (ClientCredentials, HttpStatusCode.OK, warmUpEach), (ClientCredentialsDpop, HttpStatusCode.OK, warmUpEach), (Delegation, HttpStatusCode.OK, warmUpEach), (DelegationAuthenticated, HttpStatusCode.OK, warmUpEach),
        (Malformed, HttpStatusCode.BadRequest, brief), (BadSignature, HttpStatusCode.BadRequest, brief), (WorkloadExchange, HttpStatusCode.OK, brief),
        (AAuthAuth, HttpStatusCode.OK, brief),
    ], options.Workers);

    await Scenario("client_credentials", ClientCredentials);
    await Scenario("client_credentials_dpop", ClientCredentialsDpop);

    // The DPoP cost side by side: this machine drifts by more than the effect between two 10-s blocks, so bearer and
    // DPoP also run in alternating short slices (the order swapped every pair) and each pair gives its own difference.
    if (Want("client_credentials") && Want("client_credentials_dpop"))
    {
        const int pairs = 6;
        var slice = TimeSpan.FromSeconds(4);
        for (var i = 0; i < pairs; i++)
        {
            Console.WriteLine($"running: DPoP pair {i + 1} of {pairs}");
            var first = i % 2 == 0;
            var a = await Load.RunAsync(first ? "cc_pair" : "cc_dpop_pair", host, http, first ? ClientCredentials : ClientCredentialsDpop, options.Workers, slice);
            var b = await Load.RunAsync(first ? "cc_dpop_pair" : "cc_pair", host, http, first ? ClientCredentialsDpop : ClientCredentials, options.Workers, slice);
            var (bearerSlice, dpopSlice) = first ? (a, b) : (b, a);
            dpopPairs.Add((bearerSlice.CpuMsPerRequest, dpopSlice.CpuMsPerRequest));
        }
    }
    await Scenario("delegation_exchange", Delegation);
    if (results.FirstOrDefault(r => r.Name == "delegation_exchange") is { } maximum)
    {
        await Scenario("delegation_at_70pct", Delegation, targetRps: maximum.RequestsPerSecond * 0.7);
    }

    await Scenario("delegation_exchange_client_auth", DelegationAuthenticated);
    await Scenario("refusal_malformed", Malformed, HttpStatusCode.BadRequest);
    await Scenario("refusal_bad_signature", BadSignature, HttpStatusCode.BadRequest);
    await Scenario("workload_exchange", WorkloadExchange);
    await Scenario("aauth_auth", AAuthAuth);

    if (options.Hold > 0)
    {
        Console.WriteLine($"holding the host for {options.Hold} s");
        await Task.Delay(TimeSpan.FromSeconds(options.Hold));
    }
}

// The peer: the same host, database and keys with our pack switched off, doing OpenIddict's own token exchange. OpenIddict
// requires the client to authenticate when it redeems a token issued to it, so the like-for-like comparison is with
// our exchange under client authentication too.
if (Want("peer_openiddict_exchange"))
{
    Console.WriteLine("running: peer_openiddict_exchange (pack off)");
    await using var peer = await HostProcess.StartAsync(options.Host, options.ServerCore, 5090, new Dictionary<string, string>(settings) { ["Sample:Pack"] = "off" });
    var tokenUri = new Uri(peer.BaseAddress, Setup.SeedTokenPath);
    Task<HttpResponseMessage> PeerExchange(HttpClient c) => c.PostAsync(tokenUri, Exchange(userToken, authenticate: true));
    await Load.WarmUpAsync(http, [(PeerExchange, HttpStatusCode.OK, warmUpEach * 3)], options.Workers); // as long as ours at their maximum rate
    results.Add(await Load.RunAsync("peer_openiddict_exchange", peer, http, PeerExchange, options.Workers, duration));
}

// The machine's own ceiling for one exchange on one core: verify two tokens, sign one (the sample signs ES256; RS256 for reference).
var ceilingRs256 = Ceiling.Measure(RSA.Create(2048), TimeSpan.FromSeconds(3));
var ceilingEs256 = Ceiling.Measure(ECDsa.Create(ECCurve.NamedCurves.nistP256), TimeSpan.FromSeconds(3));

Console.WriteLine();
Console.WriteLine("| scenario | workers | requests/s | p50 ms | p99 ms | p99.9 ms | CPU ms/req | KB alloc/req | working set MB | failed |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(culture, $"| {r.Name} | {r.Workers} | {r.RequestsPerSecond:0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.P999Ms:0.00} | {r.CpuMsPerRequest:0.000} | {r.BytesPerRequest / 1024:0.0} | {r.WorkingSetBytes / 1048576.0:0} | {r.Failed} |"));
}

Console.WriteLine(string.Create(culture, $"| crypto ceiling RS256 (sign + 2 verifies, 1 core) | 1 | {ceilingRs256:0} | | | | {1000 / ceilingRs256:0.000} | | | |"));
Console.WriteLine(string.Create(culture, $"| crypto ceiling ES256 (sign + 2 verifies, 1 core) | 1 | {ceilingEs256:0} | | | | {1000 / ceilingEs256:0.000} | | | |"));
foreach (var r in results.Where(r => r.FirstFailure is not null))
{
    Console.WriteLine($"first failure in {r.Name}: {r.FirstFailure}");
}

// What a DPoP proof adds to a client-credentials request, in units of one ES256 signature verification on one core.
var verifyMs = Ceiling.MeasureVerification(TimeSpan.FromSeconds(2));
if (results.FirstOrDefault(r => r.Name == "client_credentials") is { } bearer && results.FirstOrDefault(r => r.Name == "client_credentials_dpop") is { } bound)
{
    Console.WriteLine(string.Create(culture, $"| one ES256 verification (1 core) | 1 | {1000 / verifyMs:0} | | | | {verifyMs:0.000} | | | |"));
    Console.WriteLine(string.Create(culture,
        $"ratio of the 10-s blocks (DPoP client credentials CPU - bearer CPU) / one ES256 verification: {(bound.CpuMsPerRequest - bearer.CpuMsPerRequest) / verifyMs:0.000}"));
}

if (dpopPairs.Count > 0)
{
    var extra = dpopPairs.Select(p => (p.Dpop - p.Bearer) / verifyMs).ToList();
    foreach (var (pair, i) in dpopPairs.Select((p, i) => (p, i)))
    {
        Console.WriteLine(string.Create(culture, $"DPoP pair {i + 1}: bearer {pair.Bearer:0.000} ms, DPoP {pair.Dpop:0.000} ms, extra {extra[i]:0.00} verifications"));
    }

    var sorted = extra.Order().ToList();
    var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    Console.WriteLine(string.Create(culture,
        $"ratio (DPoP client credentials CPU - bearer CPU) / one ES256 verification, median of {extra.Count} alternating pairs: {median:0.000} (min {sorted[0]:0.00}, max {sorted[^1]:0.00}) (target <= 1.00) {(median <= 1 ? "met" : "NOT met")}"));
}

if (options.Only is not null)
{
    return;
}

ScenarioResult Get(string name) => results.Single(r => r.Name == name);
var ours = Get("delegation_exchange");
var ratios = new (string Name, double Value, double Target, bool HigherIsBetter)[]
{
    ("delegation / crypto ceiling (ES256, the sample's signing key)", ours.RequestsPerSecond / ceilingEs256, 0.40, true),
    ("delegation (client auth) / OpenIddict's own exchange (client auth)", Get("delegation_exchange_client_auth").RequestsPerSecond / Get("peer_openiddict_exchange").RequestsPerSecond, 0.80, true),
    ("client credentials / (10 x 120 per vCPU)", Get("client_credentials").RequestsPerSecond / 1200.0, 1.0, true),
    ("p99 / p50 at 70% of max rate", Get("delegation_at_70pct").P99Ms / Get("delegation_at_70pct").P50Ms, 5.0, false),
    ("KB allocated per delegation / 16 KB", ours.BytesPerRequest / 1024 / 16, 1.0, false),
    ("working set MB / 250 MB", results.Max(r => r.WorkingSetBytes) / 1048576.0 / 250, 1.0, false),
    ("malformed refusal CPU / accepted exchange CPU", Get("refusal_malformed").CpuMsPerRequest / ours.CpuMsPerRequest, 0.1, false),
    ("bad-signature refusal CPU / accepted exchange CPU", Get("refusal_bad_signature").CpuMsPerRequest / ours.CpuMsPerRequest, 1.0, false),
};
Console.WriteLine();
foreach (var (name, value, target, higher) in ratios)
{
    var met = higher ? value >= target : value <= target;
    Console.WriteLine(string.Create(culture, $"ratio {name}: {value:0.000} (target {(higher ? ">=" : "<=")} {target:0.00}) {(met ? "met" : "NOT met")}"));
}

try
{
    Directory.Delete(dataDirectory, true);
}
catch (IOException)
{
}

static string RuntimeInformationText() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription + " on " + System.Runtime.InteropServices.RuntimeInformation.OSDescription;

internal sealed class StaticOptions(AAuthClientOptions value) : IOptionsMonitor<AAuthClientOptions>
{
    public AAuthClientOptions CurrentValue => value;

    public AAuthClientOptions Get(string? name) => value;

    public IDisposable? OnChange(Action<AAuthClientOptions, string?> listener) => null;
}

internal static class Ceiling
{
    /// <summary>Milliseconds one core takes for one ES256 (P-256, SHA-256) signature verification.</summary>
    public static double MeasureVerification(TimeSpan duration)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var payload = RandomNumberGenerator.GetBytes(600);
        var signature = key.SignData(payload, HashAlgorithmName.SHA256);
        var count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            if (!key.VerifyData(payload, signature, HashAlgorithmName.SHA256))
            {
                throw new CryptographicException("verification failed");
            }

            count++;
        }

        return watch.Elapsed.TotalMilliseconds / count;
    }

    /// <summary>Exchanges per second one core can do in cryptography alone: two verifications and one signature.</summary>
    public static double Measure(AsymmetricAlgorithm key, TimeSpan duration)
    {
        var payload = RandomNumberGenerator.GetBytes(600);
        Func<byte[], byte[]> sign;
        Func<byte[], byte[], bool> verify;
        switch (key)
        {
            case RSA rsa:
                sign = p => rsa.SignData(p, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                verify = (p, s) => rsa.VerifyData(p, s, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                break;
            case ECDsa ecdsa:
                sign = p => ecdsa.SignData(p, HashAlgorithmName.SHA256);
                verify = (p, s) => ecdsa.VerifyData(p, s, HashAlgorithmName.SHA256);
                break;
            default:
                throw new ArgumentException("RSA or ECDSA.", nameof(key));
        }

        var signature = sign(payload);
        var count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            if (!verify(payload, signature) || !verify(payload, signature) || sign(payload).Length == 0)
            {
                throw new CryptographicException("verification failed");
            }

            count++;
        }

        key.Dispose();
        return count / watch.Elapsed.TotalSeconds;
    }
}

internal sealed record Args(string Host, string Postgres, int Seconds, int Workers, string Key, string ServerCore, string? Only, int Hold)
{
    public static Args Parse(string[] args)
    {
        string Value(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"--{name} is required.");
        }

        return new Args(Value("host"), Value("postgres"), int.Parse(Value("seconds", "15"), CultureInfo.InvariantCulture),
            int.Parse(Value("workers", "32"), CultureInfo.InvariantCulture), Value("key", "research-bot.sample-key.pem"), Value("server-core", "0"),
            Array.IndexOf(args, "--only") >= 0 ? Value("only") : null, int.Parse(Value("hold", "0"), CultureInfo.InvariantCulture));
    }
}
