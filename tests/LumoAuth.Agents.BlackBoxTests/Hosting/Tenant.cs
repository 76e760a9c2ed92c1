namespace LumoAuth.Agents.BlackBoxTests.Hosting;

/// <summary>
/// The demo tenant the sample host seeds, as its README documents it: the user, the agents and service clients with
/// their local-trial secrets, and the endpoints. A black-box client knows these from the documentation only.
/// </summary>
public static class Tenant
{
    public const string AliceUser = "alice";
    public const string AlicePassword = "Alice-Local-Trial-1!";

    public const string ResearchBot = "research-bot";
    public const string ResearchBotSecret = "research-bot-local-trial-secret-0001";
    public const string SearchTool = "search-tool";
    public const string SearchToolSecret = "search-tool-local-trial-secret-00001";
    public const string DigestBot = "digest-bot";
    public const string DigestBotSecret = "digest-bot-local-trial-secret-000001";
    public const string Api = "acme-corp-api";
    public const string ApiSecret = "acme-corp-api-local-trial-secret-0001";
    public const string LlmGateway = "llm-gateway";
    public const string LlmGatewaySecret = "llm-gateway-local-trial-secret-00001";
    public const string Admin = "acme-admin";
    public const string AdminSecret = "acme-admin-local-trial-secret-000001";

    public const string TokenPath = "/connect/token";
    public const string SeedTokenPath = "/t/acme-corp/api/v1/oauth/token";
    public const string IntrospectionPath = "/connect/introspect";
    public const string SeedIntrospectionPath = "/t/acme-corp/api/v1/oauth/introspect";
    public const string AuthorizationPath = "/connect/authorize";
    public const string SeedAuthorizationPath = "/t/acme-corp/api/v1/oauth/authorize";
    public const string AAuthTokenPath = "/t/acme-corp/api/v1/aauth/agent/token";
    public const string AgentsPath = "/t/acme-corp/api/v1/agents";
    public const string AuditPath = "/t/acme-corp/api/v1/audit";
    public const string LoginPath = "/account/login";

    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    public const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

    /// <summary>The usage endpoint of one agent.</summary>
    public static string UsagePath(string agentId) => $"{AgentsPath}/{agentId}/usage";

    /// <summary>Every secret the seed holds; none may ever come back to a client.</summary>
    public static readonly IReadOnlyList<string> Secrets =
        [AlicePassword, ResearchBotSecret, SearchToolSecret, DigestBotSecret, ApiSecret, LlmGatewaySecret, AdminSecret];
}
