using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.LoadGenerator;

/// <summary>Obtains the tokens the scenarios replay: an agent's own token, Alice's token after consent, a workload token.</summary>
internal static class Setup
{
    public const string ResearchBotSecret = "research-bot-local-trial-secret-0001";
    public const string SeedTokenPath = "t/acme-corp/api/v1/oauth/token";

    public static async Task<string> AgentTokenAsync(Uri host)
    {
        using var http = new HttpClient { BaseAddress = host };
        return await TokenAsync(http, [("grant_type", "client_credentials"), ("client_id", "research-bot"), ("client_secret", ResearchBotSecret)]);
    }

    public static async Task<string> WorkloadTokenAsync(Uri host)
    {
        using var http = new HttpClient { BaseAddress = host };
        using var response = await http.PostAsync(new Uri("dev/kubernetes/token", UriKind.Relative),
            new FormUrlEncodedContent([new("namespace", "agents"), new("serviceaccount", "research-bot")]));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Alice signs in, consents to research-bot acting for her, and research-bot redeems the code.</summary>
    /// <summary>Alice's access token for research-bot, after she signs in and consents (the sample agent's browser stand-in).</summary>
    public static async Task<string> UserTokenAsync(Uri host)
    {
        using var login = new LumoAuth.Agents.SampleAgent.UserLogin(new LumoAuth.Agents.SampleAgent.DemoSettings { Host = host });
        return await login.AliceConsentsAsync("research-bot", ResearchBotSecret, "read:articles search:web", CancellationToken.None);
    }

    private static async Task<string> TokenAsync(HttpClient http, (string, string)[] parameters)
    {
        using var response = await http.PostAsync(new Uri(SeedTokenPath, UriKind.Relative), new FormUrlEncodedContent(parameters.Select(p => KeyValuePair.Create(p.Item1, p.Item2))));
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        return json?["access_token"]?.GetValue<string>() ?? throw new InvalidOperationException($"No token: {(int)response.StatusCode} {json}");
    }
}
