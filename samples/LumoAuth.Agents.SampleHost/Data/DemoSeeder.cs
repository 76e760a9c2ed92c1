using LumoAuth.Agents.Agents;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;

namespace LumoAuth.Agents.SampleHost.Data;

/// <summary>
/// Seeds the demo tenant <c>acme-corp</c> once: user <c>alice</c> and agents <c>research-bot</c> and
/// <c>search-tool</c>. The passwords and secrets are for local trials only and are documented in the README.
/// </summary>
internal static class DemoSeeder
{
    public const string AlicePassword = "Alice-Local-Trial-1!";
    public const string ResearchBotSecret = "research-bot-local-trial-secret-0001";
    public const string SearchToolSecret = "search-tool-local-trial-secret-00001";
    public const string LlmGatewaySecret = "llm-gateway-local-trial-secret-00001";
    public const string ApiSecret = "acme-corp-api-local-trial-secret-0001";
    public const string AdminSecret = "acme-admin-local-trial-secret-000001";

    public static async Task SeedAsync(IServiceProvider services, Uri publicOrigin, CancellationToken cancellationToken)
    {
        var users = services.GetRequiredService<UserManager<IdentityUser>>();
        if (await users.FindByIdAsync("alice") is null)
        {
            var result = await users.CreateAsync(new IdentityUser { Id = "alice", UserName = "alice", Email = "alice@acme-corp.example", EmailConfirmed = true }, AlicePassword);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("Seeding alice failed: " + string.Join("; ", result.Errors.Select(e => e.Description)));
            }
        }

        // The tenant's API, a resource server that introspects the tokens it receives.
        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync("acme-corp-api", cancellationToken) is null)
        {
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = "acme-corp-api",
                ClientSecret = ApiSecret,
                ClientType = OpenIddictConstants.ClientTypes.Confidential,
                DisplayName = "Acme Corp API",
                Permissions = { OpenIddictConstants.Permissions.Endpoints.Introspection },
            }, cancellationToken);
        }

        // The LLM gateway that reports agents' usage (scope agents:usage): a service client, not an agent.
        if (await applications.FindByClientIdAsync("llm-gateway", cancellationToken) is null)
        {
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = "llm-gateway",
                ClientSecret = LlmGatewaySecret,
                ClientType = OpenIddictConstants.ClientTypes.Confidential,
                DisplayName = "Acme Corp LLM gateway",
                Permissions =
                {
                    OpenIddictConstants.Permissions.Endpoints.Token,
                    OpenIddictConstants.Permissions.GrantTypes.ClientCredentials,
                    OpenIddictConstants.Permissions.Prefixes.Scope + "agents:usage",
                },
            }, cancellationToken);
        }

        // An administrator's console for the registry API (scope agents:admin).
        if (await applications.FindByClientIdAsync("acme-admin", cancellationToken) is null)
        {
            await applications.CreateAsync(new OpenIddictApplicationDescriptor
            {
                ClientId = "acme-admin",
                ClientSecret = AdminSecret,
                ClientType = OpenIddictConstants.ClientTypes.Confidential,
                DisplayName = "Acme Corp agent administration",
                Permissions =
                {
                    OpenIddictConstants.Permissions.Endpoints.Token,
                    OpenIddictConstants.Permissions.GrantTypes.ClientCredentials,
                    OpenIddictConstants.Permissions.Prefixes.Scope + "agents:admin",
                },
            }, cancellationToken);
        }

        var registry = services.GetRequiredService<IAgentRegistry>();
        await RegisterOnceAsync(registry, new AgentRegistration
        {
            Id = "research-bot",
            DisplayName = "Research Bot",
            Owner = "acme-corp research team",
            Capabilities = ["read:articles", "search:web", AgentCapabilities.DelegateUser],
            DefaultScopes = ["read:articles"],
            AllowedTools = ["search-tool"],
            CanActForUsers = true,
            Budget = new BudgetPolicy { MaxTokensPerDay = 200_000, MaxApiCallsPerHour = 1_000, MaxCostPerMonth = 50m },
            ClientSecret = ResearchBotSecret,
            RedirectUris = [new Uri(publicOrigin, "callback")],
        }, cancellationToken);
        await RegisterOnceAsync(registry, new AgentRegistration
        {
            Id = "search-tool",
            DisplayName = "Search Tool",
            Owner = "acme-corp platform team",
            Capabilities = ["search:web"],
            DefaultScopes = ["search:web"],
            ClientSecret = SearchToolSecret,
        }, cancellationToken);

    }

    private static async Task RegisterOnceAsync(IAgentRegistry registry, AgentRegistration registration, CancellationToken cancellationToken)
    {
        if (await registry.FindAsync(registration.Id, cancellationToken) is not null)
        {
            return;
        }

        var result = await registry.RegisterAsync(registration, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Seeding agent '{registration.Id}' failed: " + string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
        }
    }
}
