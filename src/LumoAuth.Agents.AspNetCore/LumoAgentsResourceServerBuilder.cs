using LumoAuth.Agents.AspNetCore.AAuth;
using LumoAuth.Agents.AspNetCore.Authorization;
using LumoAuth.Agents.AspNetCore.Metering;
using LumoAuth.Agents.Budgets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LumoAuth.Agents.AspNetCore;

/// <summary>What <see cref="LumoAgentsResourceServerExtensions.AddLumoAgentsResourceServer"/> returns: the optional parts of a resource server.</summary>
public sealed class LumoAgentsResourceServerBuilder
{
    internal LumoAgentsResourceServerBuilder(IServiceCollection services) => Services = services;

    /// <summary>The services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Counts every agent call against its <c>max_api_calls_per_hour</c> in the token server's ledger (add
    /// <c>app.UseLumoAgentsMetering()</c> after <c>UseAuthorization()</c>). Leave
    /// <see cref="ApiCallMeteringOptions.UsageEndpoint"/> null when the API shares the token server's store
    /// (<c>AddLumoAgents()</c> registered here); set it, with the API's reporter credentials, otherwise.
    /// </summary>
    public LumoAgentsResourceServerBuilder AddApiCallMetering(Action<ApiCallMeteringOptions>? configure = null)
    {
        var options = Services.AddOptions<ApiCallMeteringOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.UsageEndpoint is null || (o.UsageEndpoint.Contains("{agentId}", StringComparison.Ordinal) && o.TokenEndpoint is { IsAbsoluteUri: true } &&
                                                         !string.IsNullOrEmpty(o.ReporterClientId) && !string.IsNullOrEmpty(o.ReporterClientSecret)),
            "API-call metering through the usage endpoint needs UsageEndpoint (with {agentId}), TokenEndpoint, ReporterClientId and ReporterClientSecret.").ValidateOnStart();
        Services.AddHttpClient(UsageEndpointApiCallMeter.HttpClientName);
        Services.TryAddSingleton<UsageEndpointApiCallMeter>();
        Services.TryAddScoped<IApiCallMeter>(provider =>
            provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ApiCallMeteringOptions>>().CurrentValue.UsageEndpoint is null
                ? new LedgerApiCallMeter(provider.GetService<UsageReporter>() ?? throw new InvalidOperationException(
                    "API-call metering without a UsageEndpoint counts in this application's ledger: register AddLumoAgents() with the token server's store, or set UsageEndpoint."),
                    provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<ApiCallMeteringOptions>>(), provider.GetService<LumoAuth.Agents.Audit.AuditTrail>())
                // Wrapped: a scope disposes what its factory returns, and this meter is the application's singleton.
                : new SharedApiCallMeter(provider.GetRequiredService<UsageEndpointApiCallMeter>()));
        return this;
    }

    /// <summary>Which tools each agent may call, for <c>RequireAllowedToolHop</c> on an API that does not share the registry.</summary>
    public LumoAgentsResourceServerBuilder UseAgentTools(IReadOnlyDictionary<string, IReadOnlyCollection<string>> allowedTools)
    {
        ArgumentNullException.ThrowIfNull(allowedTools);
        Services.Replace(ServiceDescriptor.Singleton<IAgentToolDirectory>(new StaticAgentToolDirectory(allowedTools)));
        return this;
    }

    /// <summary>Also accepts AAuth-signed requests (see <see cref="Microsoft.Extensions.DependencyInjection.AAuthResourceServiceCollectionExtensions.AddLumoAgentsAAuthResource"/>).</summary>
    public LumoAgentsResourceServerBuilder AddAAuth(Action<AAuthResourceOptions> configure)
    {
        Services.AddLumoAgentsAAuthResource(configure);
        return this;
    }
}
