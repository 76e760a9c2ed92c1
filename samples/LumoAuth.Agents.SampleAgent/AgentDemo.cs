using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LumoAuth.Agents.Client;
using LumoAuth.Agents.Client.AAuth;
using LumoAuth.Agents.Client.Dpop;
using LumoAuth.Agents.HttpSignatures.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.SampleAgent;

/// <summary>
/// The seed's four patterns against the sample host and API, each printed with the token's claims and its chain in
/// words, then one refusal of each kind: a stolen token without its key, depth exceeded, over budget, replayed
/// signature, no consent. Research Bot's tokens are bound to its DPoP key (RFC 9449) in patterns 1 to 3.
/// </summary>
public sealed class AgentDemo
{
    private const string ResearchBotSecret = "research-bot-local-trial-secret-0001"; // local-trial secrets of the sample tenant
    private const string SearchToolSecret = "search-tool-local-trial-secret-00001";
    private const string DigestBotSecret = "digest-bot-local-trial-secret-000001";

    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["user:alice"] = "Alice",
        ["agent:research-bot"] = "Research Bot",
        ["agent:search-tool"] = "Search Tool",
        ["agent:digest-bot"] = "Digest Bot",
    };

    private readonly DemoSettings _settings;
    private readonly TextWriter _out;
    private readonly List<(string Step, bool Passed)> _steps = [];

    private AgentDemo(DemoSettings settings, TextWriter output)
    {
        _settings = settings;
        _out = output;
    }

    /// <summary>Each step and whether it went as the story says.</summary>
    public IReadOnlyList<(string Step, bool Passed)> Steps => _steps;

    /// <summary>Runs the whole demo; the result lists each step and whether it went as expected.</summary>
    public static async Task<AgentDemo> RunAsync(DemoSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var demo = new AgentDemo(settings, output);
        await demo.RunAllAsync(cancellationToken);
        return demo;
    }

    private Uri TokenEndpoint => new(_settings.Host, "t/acme-corp/api/v1/oauth/token");

    private async Task RunAllAsync(CancellationToken ct)
    {
        // Research Bot registers its client once, the way an agent service would at startup, with its DPoP key: its
        // tokens are bound to the key, and its API calls prove it (a real agent loads the key from its secret store).
        using var dpopKey = DpopKey.Generate();
        var services = new ServiceCollection();
        services.AddLumoAgentsClient(o =>
            {
                o.TokenEndpoint = TokenEndpoint;
                o.ClientId = "research-bot";
                o.ClientSecret = ResearchBotSecret;
                o.DpopKey = dpopKey;
            })
            .AddAAuth(o =>
            {
                o.TokenEndpoint = new Uri(_settings.Host, "t/acme-corp/api/v1/aauth/agent/token");
                o.AgentId = "research-bot";
                o.SigningKey = Ed25519SignatureKey.FromPrivateKeyPem(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "research-bot.sample-key.pem")));
            });
        services.AddHttpClient("api", c => c.BaseAddress = _settings.Api).AddAgentToken("read:articles");
        services.AddHttpClient("api-for-user", c => c.BaseAddress = _settings.Api).AddDelegatedAgentToken("search:web");
        services.AddHttpClient("aauth", c => c.BaseAddress = _settings.Host).AddHttpMessageHandler<AAuthSigningHandler>();
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>();
        var researchBot = provider.GetRequiredService<AgentTokenClient>();
        using var plain = new HttpClient();
        using var login = new UserLogin(_settings);

        // ---- Pattern 1
        Heading("Pattern 1: Research Bot as itself (client credentials)");
        var own = await researchBot.GetAgentTokenAsync("read:articles", cancellationToken: ct);
        ShowToken(own);
        await CallAsync("pattern 1: GET /articles as Research Bot", http.CreateClient("api"), "articles", HttpStatusCode.OK, ct);

        // ---- Pattern 2
        Heading("Pattern 2: Research Bot by workload identity (no secret)");
        var workloadFile = Path.Combine(Directory.CreateTempSubdirectory("lumo-agent-").FullName, "token");
        using (var mint = await plain.PostAsync(new Uri(_settings.Host, "dev/kubernetes/token"),
                   new FormUrlEncodedContent(new Dictionary<string, string> { ["namespace"] = "agents", ["serviceaccount"] = "research-bot" }), ct))
        {
            if (!mint.IsSuccessStatusCode)
            {
                throw new DemoFailedException($"the host's dev Kubernetes issuer answered {(int)mint.StatusCode}; it runs only in the Development environment (the host's default with dotnet run).");
            }

            await File.WriteAllTextAsync(workloadFile, await mint.Content.ReadAsStringAsync(ct), ct); // what Kubernetes projects into the pod
        }

        _out.WriteLine($"(the dev Kubernetes stand-in wrote a service account token to {workloadFile}, as a projected volume would)");
        using var workload = AgentTokenClient.Create(http, new LumoAgentClientOptions
        {
            TokenEndpoint = TokenEndpoint, WorkloadTokenFile = workloadFile, WorkloadIssuer = "kubernetes", DpopKey = dpopKey,
        }, TimeProvider.System);
        var workloadToken = await workload.GetAgentTokenAsync("read:articles", cancellationToken: ct);
        ShowToken(workloadToken);
        using (var articles = new HttpRequestMessage(HttpMethod.Get, new Uri(_settings.Api, "articles")))
        {
            workload.Authorize(articles, workloadToken); // bound to the same DPoP key: "Authorization: DPoP" and a proof
            await CallAsync("pattern 2: GET /articles by workload login", plain, articles, HttpStatusCode.OK, ct);
        }
        Directory.Delete(Path.GetDirectoryName(workloadFile)!, recursive: true);

        // ---- Pattern 3
        Heading("Pattern 3: Research Bot acting for Alice, then Search Tool one hop further");
        _out.WriteLine("(Alice signs in and allows Research Bot on the consent page)");
        var alice = await login.AliceConsentsAsync("research-bot", ResearchBotSecret, "read:articles search:web", ct);
        var delegated = await researchBot.GetDelegatedTokenAsync(alice, "search:web", cancellationToken: ct);
        ShowToken(delegated);
        using (var search = new HttpRequestMessage(HttpMethod.Get, "search?q=agents").ForUser(alice))
        {
            await CallAsync("pattern 3: GET /search as Research Bot for Alice", http.CreateClient("api-for-user"), search, HttpStatusCode.OK, ct);
        }

        var forTool = await researchBot.GetDelegatedTokenAsync(alice, "search:web", "search-tool", ct);
        using var searchTool = AgentTokenClient.Create(http, new LumoAgentClientOptions { TokenEndpoint = TokenEndpoint, ClientId = "search-tool", ClientSecret = SearchToolSecret }, TimeProvider.System);
        var chained = await searchTool.ExchangeAsActorAsync(forTool, "search:web", cancellationToken: ct);
        ShowToken(chained);
        await CallAsync("pattern 3: GET /search as Search Tool for Research Bot for Alice", plain, new Uri(_settings.Api, "search?q=delegation"), chained, HttpStatusCode.OK, ct);

        // ---- Pattern 4
        Heading("Pattern 4: AAuth, every request signed with Research Bot's own key");
        await CallAsync("pattern 4: GET /sample-api/articles signed (challenge, auth token, retry)", http.CreateClient("aauth"), "sample-api/articles", HttpStatusCode.OK, ct);
        var aauth = provider.GetRequiredService<AAuthClient>();
        var authToken = await aauth.GetCachedAuthTokenAsync(_settings.Host.GetLeftPart(UriPartial.Authority), ct);
        if (authToken is not null)
        {
            ShowToken(authToken.Value);
        }

        // ---- Refusals
        Heading("Refusal: a stolen token without its key");
        _out.WriteLine("(Research Bot's token from pattern 1 is bound to its DPoP key; a thief replays it as a bearer token)");
        await CallAsync("refusal: stolen token without the key", plain, new Uri(_settings.Api, "articles"), own, HttpStatusCode.Unauthorized, ct);

        Heading("Refusal: chain too deep");
        _out.WriteLine("(/search/private serves only the agent Alice talks to directly: at most one actor)");
        await CallAsync("refusal: depth exceeded", plain, new Uri(_settings.Api, "search/private"), chained, HttpStatusCode.Forbidden, ct);

        Heading("Refusal: over budget");
        _out.WriteLine("(Digest Bot may make 3 API calls an hour)");
        using var digestBot = AgentTokenClient.Create(http, new LumoAgentClientOptions { TokenEndpoint = TokenEndpoint, ClientId = "digest-bot", ClientSecret = DigestBotSecret }, TimeProvider.System);
        var overBudget = false;
        string? digest = null;
        try
        {
            digest = await digestBot.GetAgentTokenAsync(cancellationToken: ct);
        }
        catch (AgentTokenException refused) when (refused.ErrorCode == "budget_exhausted")
        {
            // Spent already (an earlier run this hour): the token server itself refuses a new token.
            _out.WriteLine($"token server: {refused.Status} {refused.Error} ({refused.ErrorCode}): {refused.Description}");
            overBudget = refused.Status == 429;
        }

        for (var call = 1; digest is not null && call <= 10 && !overBudget; call++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_settings.Api, "articles"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", digest);
            using var response = await plain.SendAsync(request, ct);
            _out.WriteLine($"call {call}: {(int)response.StatusCode} {response.StatusCode}" + (response.Headers.RetryAfter is { Delta: { } wait } ? $", Retry-After: {wait.TotalSeconds:0} s" : string.Empty));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                _out.WriteLine(await response.Content.ReadAsStringAsync(ct));
                overBudget = response.Headers.RetryAfter?.Delta is not null;
            }
        }

        Record("refusal: over budget (429 with Retry-After)", overBudget);

        Heading("Refusal: replayed signature");
        await ReplayAsync(aauth, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<AAuthClientOptions>>().Value, authToken, plain, ct);

        Heading("Refusal: no consent");
        _out.WriteLine("(Alice withdraws her consent to Research Bot on her consents page)");
        await login.WithdrawAsync("research-bot", ct);
        try
        {
            await researchBot.GetDelegatedTokenAsync(alice, "read:articles", cancellationToken: ct);
            Record("refusal: no consent", false);
        }
        catch (AgentTokenException refused)
        {
            _out.WriteLine($"token server: {refused.Status} {refused.Error} ({refused.ErrorCode}): {refused.Description}");
            Record("refusal: no consent", refused.ErrorCode == "consent_missing");
        }

        _out.WriteLine("(Alice allows Research Bot again, so the demo can run again)");
        alice = await login.AliceConsentsAsync("research-bot", ResearchBotSecret, "read:articles search:web", ct);

        // ---- Human approval (OpenID CIBA)
        Heading("Human approval: Research Bot asks Alice before it publishes (OpenID CIBA)");
        try
        {
            await researchBot.GetDelegatedTokenAsync(alice, "write:articles", cancellationToken: ct);
            Record("approval: exchange for write:articles refused without approval", false);
        }
        catch (AgentTokenException refused)
        {
            _out.WriteLine($"exchange for write:articles: {refused.Status} {refused.Error} ({refused.ErrorCode}): {refused.Description}");
            Record("approval: exchange for write:articles refused without approval", refused.ErrorCode == "approval_required");
        }

        const string publish = "Publish the summary of 'Agents with their own identity'";
        _out.WriteLine($"(Research Bot asks the host to ask Alice: \"{publish}\"; it waits while Alice approves on her approvals page)");
        var asking = researchBot.RequestApprovalAsync(new UserApprovalRequest
        {
            LoginHint = "alice",
            BindingMessage = publish,
            AuthorizationDetails = """[{"type":"publish_article","actions":["publish"],"identifier":"article-1"}]""",
        }, ct);
        await login.DecideApprovalAsync(publish, approve: true, ct);
        var approvedToken = await asking;
        ShowToken(approvedToken.AccessToken);
        _out.WriteLine("approved: " + approvedToken.AuthorizationDetails);
        using (var summary = new HttpRequestMessage(HttpMethod.Post, new Uri(_settings.Api, "articles/summaries")) { Content = JsonContent.Create(new { title = "Agents with their own identity: a summary" }) })
        {
            researchBot.Authorize(summary, approvedToken.AccessToken);
            await CallAsync("approval: POST /articles/summaries with Alice's approval", plain, summary, HttpStatusCode.OK, ct);
        }

        const string again = "Publish the summary once more";
        var denied = researchBot.RequestApprovalAsync(new UserApprovalRequest { LoginHint = "alice", BindingMessage = again, Scope = "write:articles" }, ct);
        await login.DecideApprovalAsync(again, approve: false, ct);
        try
        {
            await denied;
            Record("refusal: Alice denies", false);
        }
        catch (UserApprovalException refused)
        {
            _out.WriteLine($"Alice denied \"{again}\": {refused.Failure}, {refused.Error} ({refused.ErrorCode})");
            Record("refusal: Alice denies", refused.Failure == ApprovalFailure.Denied);
        }

        Heading("Summary");
        foreach (var (step, passed) in _steps)
        {
            _out.WriteLine($"{(passed ? "ok  " : "FAIL")} {step}");
        }
    }

    private async Task ReplayAsync(AAuthClient aauth, AAuthClientOptions options, HeldToken? authToken, HttpClient plain, CancellationToken ct)
    {
        var agentToken = await aauth.GetAgentTokenAsync(ct);
        var target = new Uri(_settings.Host, "sample-api/articles");
        using var first = new HttpRequestMessage(HttpMethod.Get, target);
        if (authToken is not null)
        {
            first.Headers.Authorization = new AuthenticationHeaderValue("AAuth", authToken.Value);
        }

        await AAuthRequestSigner.SignAsync(first, options.SigningKey!, agentToken.Value, options.Carrier, DateTimeOffset.UtcNow, ct);
        using var copy = new HttpRequestMessage(HttpMethod.Get, target);
        foreach (var header in first.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        using var once = await plain.SendAsync(first, ct);
        _out.WriteLine($"first send: {(int)once.StatusCode} {once.StatusCode}");
        using var again = await plain.SendAsync(copy, ct);
        var signatureError = again.Headers.TryGetValues("Signature-Error", out var values) ? string.Join(", ", values) : "(none)";
        _out.WriteLine($"the same signed bytes again: {(int)again.StatusCode} {again.StatusCode}, Signature-Error: {signatureError}");
        Record("refusal: replayed signature", again.StatusCode == HttpStatusCode.Unauthorized && signatureError.Contains("replayed", StringComparison.Ordinal));
    }

    private void Heading(string text)
    {
        _out.WriteLine();
        _out.WriteLine("== " + text);
    }

    private void ShowToken(string token)
    {
        _out.WriteLine("token claims: " + Jwt.Show(token));
        _out.WriteLine("in words: " + Jwt.InWords(token, s => Names.GetValueOrDefault(s)));
    }

    private Task CallAsync(string step, HttpClient client, string path, HttpStatusCode expected, CancellationToken ct) =>
        CallAsync(step, client, new HttpRequestMessage(HttpMethod.Get, path), expected, ct);

    private async Task CallAsync(string step, HttpClient client, Uri url, string token, HttpStatusCode expected, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await CallAsync(step, client, request, expected, ct);
    }

    private async Task CallAsync(string step, HttpClient client, HttpRequestMessage request, HttpStatusCode expected, CancellationToken ct)
    {
        using var response = await client.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        _out.WriteLine($"{request.Method} {request.RequestUri} -> {(int)response.StatusCode} {response.StatusCode}");
        if (response.Headers.WwwAuthenticate.Count > 0)
        {
            _out.WriteLine("WWW-Authenticate: " + response.Headers.WwwAuthenticate);
        }

        var words = ParseOrNull(body) is JsonObject json
            ? json["caller"] switch
            {
                JsonObject caller => caller["in_words"]?.GetValue<string>(),
                JsonValue caller => caller.GetValue<string>(),
                _ => null,
            }
            : null;
        _out.WriteLine(words is null ? body : $"the {(request.RequestUri!.IsAbsoluteUri && request.RequestUri.AbsolutePath.StartsWith("/sample-api", StringComparison.Ordinal) ? "resource" : "API")} says the caller is: {words}");
        Record(step, response.StatusCode == expected);
    }

    private void Record(string step, bool passed) => _steps.Add((step, passed));

    private static JsonNode? ParseOrNull(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // a refusal without a JSON body: the status and WWW-Authenticate say it all
        }
    }
}
