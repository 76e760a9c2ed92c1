using FluentValidation;
using LumoAuth.Agents.Scopes;
using LumoAuth.Agents.Workload;
using Microsoft.Extensions.Options;

namespace LumoAuth.Agents;

/// <summary>The default <see cref="IAgentRegistry"/>: validates, then writes the client and the profile together.</summary>
internal class AgentRegistry : IAgentRegistry
{
    private readonly IValidator<AgentRegistration> _validator;
    private readonly IAgentStore _store;
    private readonly IAgentClientRegistrar _clients;
    private readonly TimeProvider _time;
    private readonly IWorkloadBindingStore _workloads;
    private readonly IOptionsMonitor<WorkloadOptions> _workloadOptions;

    /// <summary>Creates the registry.</summary>
    public AgentRegistry(IValidator<AgentRegistration> validator, IAgentStore store, IAgentClientRegistrar clients, TimeProvider time,
        IWorkloadBindingStore workloads, IOptionsMonitor<WorkloadOptions> workloadOptions)
    {
        _validator = validator;
        _store = store;
        _clients = clients;
        _time = time;
        _workloads = workloads;
        _workloadOptions = workloadOptions;
    }

    /// <inheritdoc />
    public virtual async ValueTask<AgentRegistrationResult> RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);

        var validation = await _validator.ValidateAsync(registration, cancellationToken);
        var errors = validation.Errors.Select(e => new FieldError(e.PropertyName, e.ErrorMessage)).ToList();
        errors.AddRange(await CheckBindingsAsync(registration.Id, registration.WorkloadBindings.ToList(), cancellationToken));
        if (errors.Count == 0 &&
            (await _store.FindAsync(registration.Id, cancellationToken) is not null ||
             await _clients.ExistsAsync(registration.Id, cancellationToken)))
        {
            errors.Add(new FieldError(nameof(AgentRegistration.Id), $"An agent or client with id '{registration.Id}' already exists."));
        }

        if (errors.Count > 0)
        {
            return new AgentRegistrationResult { Errors = errors };
        }

        var profile = ToProfile(registration, _time.GetUtcNow());
        await _clients.CreateAsync(registration, cancellationToken);
        try
        {
            await _store.CreateAsync(profile, cancellationToken);
        }
        catch
        {
            // Leave no client without its profile: an orphan client could authenticate but never be governed.
            await _clients.DeleteAsync(registration.Id, CancellationToken.None);
            throw;
        }

        // Always replace: an id registered again never inherits bindings left from an earlier agent of that id.
        {
            await _workloads.ReplaceAsync(registration.Id, registration.WorkloadBindings.Select(b => new WorkloadBinding
            {
                AgentId = registration.Id,
                Issuer = b.Issuer,
                Subject = b.Subject,
                Claims = new Dictionary<string, string>(b.Claims, StringComparer.Ordinal),
            }).ToList(), cancellationToken);
        }

        return new AgentRegistrationResult { Agent = profile };
    }

    /// <inheritdoc />
    public virtual async ValueTask<AgentUpdateResult> UpdateAsync(AgentRegistration changes, string expectedVersion, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var current = await _store.FindAsync(changes.Id, cancellationToken);
        if (current is null)
        {
            return new AgentUpdateResult { NotFound = true };
        }

        var validation = await _validator.ValidateAsync(changes, cancellationToken);
        if (!validation.IsValid)
        {
            return new AgentUpdateResult { Errors = validation.Errors.Select(e => new FieldError(e.PropertyName, e.ErrorMessage)).ToList() };
        }

        var updated = ToProfile(changes, current.CreatedAt) with { Status = current.Status };
        if (!await _store.UpdateAsync(updated, expectedVersion, cancellationToken))
        {
            return new AgentUpdateResult { Conflict = true };
        }

        await _clients.SetCapabilitiesAsync(changes.Id, changes.Capabilities, cancellationToken);
        return new AgentUpdateResult { Agent = await _store.FindAsync(changes.Id, cancellationToken) };
    }

    /// <inheritdoc />
    public virtual async ValueTask<AgentUpdateResult> SetWorkloadBindingsAsync(string id, IReadOnlyList<WorkloadBinding> bindings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        if (await _store.FindAsync(id, cancellationToken) is not { } agent)
        {
            return new AgentUpdateResult { NotFound = true };
        }

        var errors = new List<FieldError>();
        for (var i = 0; i < bindings.Count; i++)
        {
            if (string.IsNullOrEmpty(bindings[i].Subject) || bindings[i].Subject.Contains('*', StringComparison.Ordinal))
            {
                errors.Add(new FieldError($"WorkloadBindings[{i}].Subject", "'Subject' is required and matched exactly; wildcards are not supported."));
            }
        }

        errors.AddRange(await CheckBindingsAsync(id, bindings, cancellationToken));
        if (errors.Count > 0)
        {
            return new AgentUpdateResult { Errors = errors };
        }

        await _workloads.ReplaceAsync(id, bindings.Select(b => new WorkloadBinding
        {
            AgentId = id, Issuer = b.Issuer, Subject = b.Subject, Claims = new Dictionary<string, string>(b.Claims, StringComparer.Ordinal),
        }).ToList(), cancellationToken);
        return new AgentUpdateResult { Agent = agent };
    }

    /// <summary>The bad fields of <paramref name="bindings"/> for <paramref name="agentId"/>: untrusted issuer, missing pinned claims, workload bound elsewhere.</summary>
    private async ValueTask<List<FieldError>> CheckBindingsAsync(string agentId, IReadOnlyList<WorkloadBinding> bindings, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var trusts = _workloadOptions.CurrentValue;
        for (var i = 0; i < bindings.Count; i++)
        {
            var binding = bindings[i];
            var trust = string.IsNullOrEmpty(binding.Issuer) ? null : trusts.FindByName(binding.Issuer);
            if (trust is null)
            {
                errors.Add(new FieldError($"WorkloadBindings[{i}].Issuer", $"No trusted workload issuer is named '{binding.Issuer}'."));
                continue;
            }

            if (WorkloadOptionsValidator.MissingClaims(trust, binding) is { Count: > 0 } missing)
            {
                errors.Add(new FieldError($"WorkloadBindings[{i}].Claims",
                    $"A binding to '{trust.Name}' must pin {string.Join(", ", missing.Select(c => $"'{c}'"))}: its subject alone does not identify one workload."));
            }

            // A workload logs in as one agent: binding one that is already bound would hijack or block that agent.
            var taken = trusts.Bindings.Concat(await _workloads.FindAsync(binding.Issuer, binding.Subject, cancellationToken))
                .Any(b => b.Issuer == binding.Issuer && b.Subject == binding.Subject && b.AgentId != agentId);
            if (taken)
            {
                errors.Add(new FieldError($"WorkloadBindings[{i}].Subject", $"The workload '{binding.Subject}' of '{binding.Issuer}' is already bound to another agent."));
            }
        }

        return errors;
    }

    /// <inheritdoc />
    public virtual ValueTask<AgentProfile?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        _store.FindAsync(id, cancellationToken);

    /// <inheritdoc />
    public virtual async ValueTask<bool> SetStatusAsync(string id, AgentStatus status, string? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        var agent = await _store.FindAsync(id, cancellationToken);
        if (agent is null)
        {
            return false;
        }

        if (agent.Status == AgentStatus.Revoked && status != AgentStatus.Revoked)
        {
            throw new InvalidOperationException($"Agent '{id}' is revoked; a revoked agent cannot be made {status.ToString().ToLowerInvariant()} again.");
        }

        return await _store.SetStatusAsync(id, status, expectedVersion, cancellationToken);
    }

    /// <summary>Turns a valid registration into the stored profile.</summary>
    protected internal static AgentProfile ToProfile(AgentRegistration registration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return new AgentProfile
        {
            Id = registration.Id,
            DisplayName = registration.DisplayName,
            Owner = registration.Owner,
            Status = registration.Status,
            Capabilities = new ScopeSet(registration.Capabilities),
            DefaultScopes = new ScopeSet(registration.DefaultScopes),
            AllowedTools = new HashSet<string>(registration.AllowedTools, StringComparer.Ordinal),
            Delegation = new DelegationRules { CanActForUsers = registration.CanActForUsers, MaxChainDepth = registration.MaxChainDepth },
            AccessTokenLifetime = registration.AccessTokenLifetime,
            RequireSenderConstrainedTokens = registration.RequireSenderConstrainedTokens,
            ApprovalRules = [.. registration.ApprovalRules],
            BackchannelNotificationEndpoint = registration.BackchannelNotificationEndpoint,
            Budget = registration.Budget,
            SigningKeys = [.. registration.SigningKeys],
            CreatedAt = now,
        };
    }
}
