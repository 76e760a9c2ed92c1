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

    /// <summary>Research Bot's capabilities: it reads, searches, acts for users and may publish with the user's approval.</summary>
    private static readonly string[] ResearchBotCapabilities = ["read:articles", "search:web", "write:articles", AgentCapabilities.DelegateUser];

    /// <summary>Publishing needs the user's yes each time: one approval, one token.</summary>
    private static readonly LumoAuth.Agents.Approvals.ApprovalRule ResearchBotPublishRule = new("write:articles", TimeSpan.Zero);
    public const string SearchToolSecret = "search-tool-local-trial-secret-00001";
    public const string LlmGatewaySecret = "llm-gateway-local-trial-secret-00001";
    public const string ApiSecret = "acme-corp-api-local-trial-secret-0001";
    public const string DigestBotSecret = "digest-bot-local-trial-secret-000001";
    public const string AdminSecret = "acme-admin-local-trial-secret-000001";
    public const string ResearchMcpSecret = "research-mcp-local-trial-secret-0001";

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

        // Service clients, not agents: the tenant's API (introspects the tokens it receives and reports agents' API
        // calls against their budgets), the LLM gateway that reports agents' usage, and an administrator's console for
        // the registry API.
        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        await CreateServiceClientOnceAsync(applications, "acme-corp-api", ApiSecret, "Acme Corp API",
            [OpenIddictConstants.Permissions.Endpoints.Introspection, OpenIddictConstants.Permissions.Endpoints.Token,
             OpenIddictConstants.Permissions.GrantTypes.ClientCredentials, OpenIddictConstants.Permissions.Prefixes.Scope + "agents:usage"], cancellationToken);
        await CreateServiceClientOnceAsync(applications, "llm-gateway", LlmGatewaySecret, "Acme Corp LLM gateway",
            [OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials, OpenIddictConstants.Permissions.Prefixes.Scope + "agents:usage"], cancellationToken);
        await CreateServiceClientOnceAsync(applications, "acme-admin", AdminSecret, "Acme Corp agent administration",
            [OpenIddictConstants.Permissions.Endpoints.Token, OpenIddictConstants.Permissions.GrantTypes.ClientCredentials, OpenIddictConstants.Permissions.Prefixes.Scope + "agents:admin"], cancellationToken);

        var registry = services.GetRequiredService<IAgentRegistry>();
        // The sample MCP server, as registered under LumoAgents:Resources (served by the research-mcp agent).
        var mcp = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LumoAuth.Agents.Configuration.LumoAgentsOptions>>().Value
            .Resources.FirstOrDefault(r => r.Agent == "research-mcp")?.Identifier;
        string[] researchBotTools = ["search-tool", AAuth.SampleAAuth.ResourceId, .. mcp is null ? Array.Empty<string>() : ["research-mcp", mcp]];
        await RegisterOnceAsync(registry, new AgentRegistration
        {
            Id = "research-bot",
            DisplayName = "Research Bot",
            Owner = "acme-corp research team",
            Capabilities = ResearchBotCapabilities,
            DefaultScopes = ["read:articles"],
            AllowedTools = researchBotTools,
            ApprovalRules = [ResearchBotPublishRule],
            CanActForUsers = true,
            SigningKeys = [AAuth.SampleAAuth.ResearchBotJwk()],
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

        // The sample MCP server's own identity: it exchanges its callers' tokens for the articles API (no passthrough),
        // for a user through an app (delegate:user) or for an agent acting for one.
        await RegisterOnceAsync(registry, new AgentRegistration
        {
            Id = "research-mcp",
            DisplayName = "Research MCP server",
            Owner = "acme-corp platform team",
            Capabilities = ["read:articles", "search:web", AgentCapabilities.DelegateUser],
            DefaultScopes = ["read:articles"],
            CanActForUsers = true,
            Budget = new BudgetPolicy { MaxApiCallsPerHour = 1_000 },
            ClientSecret = ResearchMcpSecret,
        }, cancellationToken);

        // An agent with a small API budget: the sample agent shows the over-budget refusal with it.
        await RegisterOnceAsync(registry, new AgentRegistration
        {
            Id = "digest-bot",
            DisplayName = "Digest Bot",
            Owner = "acme-corp research team",
            Capabilities = ["read:articles"],
            DefaultScopes = ["read:articles"],
            Budget = new BudgetPolicy { MaxApiCallsPerHour = 3 },
            ClientSecret = DigestBotSecret,
        }, cancellationToken);

        // A data folder seeded before AAuth, the MCP server or approvals existed gets research-bot's sample key, tools,
        // publishing capability and its approval rule now.
        if (await registry.FindAsync("research-bot", cancellationToken) is { } researchBot &&
            (researchBot.SigningKeys.Count == 0 || !researchBotTools.All(researchBot.AllowedTools.Contains) ||
             !ResearchBotCapabilities.All(researchBot.Capabilities.Contains) || researchBot.ApprovalRules.Count == 0))
        {
            var update = AgentRegistration.FromProfile(researchBot);
            update.Capabilities = [.. researchBot.Capabilities.Concat(ResearchBotCapabilities).Distinct()];
            update.AllowedTools = [.. researchBot.AllowedTools.Concat(researchBotTools).Distinct()];
            update.ApprovalRules = researchBot.ApprovalRules.Count == 0 ? [ResearchBotPublishRule] : [.. researchBot.ApprovalRules];
            update.SigningKeys = [AAuth.SampleAAuth.ResearchBotJwk()];
            await registry.UpdateAsync(update, researchBot.Version, cancellationToken);
        }

    }

    private static async Task CreateServiceClientOnceAsync(IOpenIddictApplicationManager applications, string clientId, string secret, string name,
        string[] permissions, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(clientId, cancellationToken) is { } existing)
        {
            // A data folder from an earlier version gets the permissions added since.
            var descriptorNow = new OpenIddictApplicationDescriptor();
            await applications.PopulateAsync(descriptorNow, existing, cancellationToken);
            if (!descriptorNow.Permissions.IsSupersetOf(permissions))
            {
                descriptorNow.Permissions.UnionWith(permissions);
                await applications.UpdateAsync(existing, descriptorNow, cancellationToken);
            }

            return;
        }

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            ClientType = OpenIddictConstants.ClientTypes.Confidential,
            DisplayName = name,
        };
        descriptor.Permissions.UnionWith(permissions);
        await applications.CreateAsync(descriptor, cancellationToken);
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
