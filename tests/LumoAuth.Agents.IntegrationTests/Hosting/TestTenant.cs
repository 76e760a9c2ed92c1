using Microsoft.Extensions.DependencyInjection;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// The tenant every <see cref="LibraryServer"/> starts with, seeded through the pack's public registry API and
/// OpenIddict's application manager: the agents <c>research-bot</c> and <c>search-tool</c>, the API client
/// <c>acme-corp-api</c> (introspection, the default audience), the gateway <c>llm-gateway</c> (usage reports) and the
/// administrator's console <c>acme-admin</c> (admin and audit APIs). Users need no seeding: the test authorization
/// endpoint signs in whoever the request names. Its own secrets, so the sample's seed can change freely.
/// </summary>
public static class TestTenant
{
    public const string ResearchBotSecret = "research-bot-test-secret-0123456789abcdef";
    public const string SearchToolSecret = "search-tool-test-secret-0123456789abcdef";
    public const string ApiSecret = "acme-corp-api-test-secret-0123456789abcdef";
    public const string LlmGatewaySecret = "llm-gateway-test-secret-0123456789abcdef";
    public const string AdminSecret = "acme-admin-test-secret-0123456789abcdef";

    /// <summary>The audience of tokens whose request names none (<c>LumoAgents:DefaultAudience</c>).</summary>
    public const string DefaultAudience = "acme-corp-api";

    /// <summary>The co-hosted AAuth resource research-bot may call.</summary>
    public const string ArticlesResourceId = "acme-articles";

    public static readonly Uri ArticlesResource = new("https://api.acme-corp.example/articles");

    /// <summary>The user the test authorization endpoint signs in when the request names none (<c>login_hint</c>).</summary>
    public const string DefaultUser = "alice";

    public static async Task SeedAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        await CreateServiceClientAsync(applications, "acme-corp-api", ApiSecret,
            [OpenIddictConstants.Permissions.Endpoints.Introspection, OpenIddictConstants.Permissions.Endpoints.Token,
             OpenIddictConstants.Permissions.GrantTypes.ClientCredentials, OpenIddictConstants.Permissions.Prefixes.Scope + "agents:usage"], cancellationToken);
        await CreateServiceClientAsync(applications, "llm-gateway", LlmGatewaySecret,
            [OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials,
             OpenIddictConstants.Permissions.Prefixes.Scope + "agents:usage"], cancellationToken);
        await CreateServiceClientAsync(applications, "acme-admin", AdminSecret,
            [OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials,
             OpenIddictConstants.Permissions.Prefixes.Scope + "agents:admin"], cancellationToken);

        var registry = scope.ServiceProvider.GetRequiredService<IAgentRegistry>();
        await RegisterAsync(registry, new AgentRegistration
        {
            Id = "research-bot",
            DisplayName = "Research Bot",
            Owner = "acme-corp research team",
            Capabilities = ["read:articles", "search:web", AgentCapabilities.DelegateUser],
            DefaultScopes = ["read:articles"],
            AllowedTools = ["search-tool", ArticlesResourceId],
            CanActForUsers = true,
            Budget = new BudgetPolicy { MaxTokensPerDay = 200_000, MaxApiCallsPerHour = 1_000, MaxCostPerMonth = 50m },
            ClientSecret = ResearchBotSecret,
            RedirectUris = [new Uri(UserConsentFlow.RedirectUri)],
        }, cancellationToken);
        await RegisterAsync(registry, new AgentRegistration
        {
            Id = "search-tool",
            DisplayName = "Search Tool",
            Owner = "acme-corp platform team",
            Capabilities = ["search:web"],
            DefaultScopes = ["search:web"],
            ClientSecret = SearchToolSecret,
        }, cancellationToken);
    }

    private static async Task CreateServiceClientAsync(IOpenIddictApplicationManager applications, string clientId, string secret, string[] permissions,
        CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = clientId,
        };
        descriptor.Permissions.UnionWith(permissions);
        await applications.CreateAsync(descriptor, cancellationToken);
    }

    private static async Task RegisterAsync(IAgentRegistry registry, AgentRegistration registration, CancellationToken cancellationToken)
    {
        var result = await registry.RegisterAsync(registration, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Seeding agent '{registration.Id}' failed: " + string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
        }
    }
}
