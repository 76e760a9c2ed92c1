using LumoAuth.Agents.EntityFrameworkCore.Models;

// Kept in EF Core's namespace so UseLumoAgents() sits beside UseOpenIddict() in OnModelCreating.
namespace Microsoft.EntityFrameworkCore;

/// <summary>Adds the agent tables to the host's own model.</summary>
public static class LumoAgentsModelBuilderExtensions
{
    /// <summary>
    /// Maps agents, consents and audit records into the host's DbContext. Call it from <c>OnModelCreating</c>,
    /// next to <c>builder.UseOpenIddict()</c>. One model for SQLite, PostgreSQL and SQL Server.
    /// </summary>
    public static ModelBuilder UseLumoAgents(this ModelBuilder builder, string tablePrefix = "LumoAgents")
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Entity<LumoAgentEntity>(agent =>
        {
            agent.ToTable(tablePrefix + "Agents");
            agent.HasKey(a => a.Id);
            agent.Property(a => a.Id).HasMaxLength(63);
            agent.Property(a => a.DisplayName).HasMaxLength(200).IsRequired();
            agent.Property(a => a.Owner).HasMaxLength(200).IsRequired();
            agent.Property(a => a.Capabilities).HasMaxLength(4000).IsRequired();
            agent.Property(a => a.DefaultScopes).HasMaxLength(4000).IsRequired();
            agent.Property(a => a.AllowedTools).HasMaxLength(4000).IsRequired();
            agent.Property(a => a.MaxCostPerMonth).HasPrecision(18, 4);
            agent.Property(a => a.SigningKeys).IsRequired();
            agent.Property(a => a.ApprovalRules).HasMaxLength(4000).IsRequired();
            agent.Property(a => a.BackchannelNotificationEndpoint).HasMaxLength(2000);
            agent.Property(a => a.ConcurrencyStamp).HasMaxLength(50).IsConcurrencyToken();
            agent.HasIndex(a => a.Owner);
        });

        builder.Entity<LumoConsentEntity>(consent =>
        {
            consent.ToTable(tablePrefix + "Consents");
            consent.HasKey(c => new { c.Subject, c.AgentId });
            consent.Property(c => c.Subject).HasMaxLength(200);
            consent.Property(c => c.AgentId).HasMaxLength(63);
            consent.Property(c => c.Scopes).HasMaxLength(4000).IsRequired();
        });

        builder.Entity<LumoAuditEntity>(audit =>
        {
            audit.ToTable(tablePrefix + "AuditRecords");
            audit.HasKey(a => a.Id);
            audit.Property(a => a.GrantType).HasMaxLength(LumoAuditEntity.Lengths.GrantType);
            audit.Property(a => a.ReasonCode).HasMaxLength(LumoAuditEntity.Lengths.ReasonCode);
            audit.Property(a => a.Error).HasMaxLength(LumoAuditEntity.Lengths.Error);
            audit.Property(a => a.ClientId).HasMaxLength(LumoAuditEntity.Lengths.Identifier);
            audit.Property(a => a.AgentId).HasMaxLength(LumoAuditEntity.Lengths.Identifier);
            audit.Property(a => a.Subject).HasMaxLength(LumoAuditEntity.Lengths.Identifier);
            audit.Property(a => a.TokenId).HasMaxLength(LumoAuditEntity.Lengths.TokenId);
            audit.Property(a => a.ClientIp).HasMaxLength(LumoAuditEntity.Lengths.ClientIp);
            audit.Property(a => a.WorkloadIssuer).HasMaxLength(LumoAuditEntity.Lengths.Workload);
            audit.Property(a => a.WorkloadSubject).HasMaxLength(LumoAuditEntity.Lengths.Workload);
            audit.HasIndex(a => a.OccurredAt);
            audit.HasIndex(a => new { a.AgentId, a.OccurredAt });
            audit.HasIndex(a => new { a.Subject, a.OccurredAt });
        });

        builder.Entity<LumoBudgetCounterEntity>(counter =>
        {
            counter.ToTable(tablePrefix + "BudgetCounters");
            counter.HasKey(c => new { c.AgentId, c.Metric, c.WindowStart });
            counter.Property(c => c.AgentId).HasMaxLength(63);
        });

        builder.Entity<LumoBudgetReceiptEntity>(receipt =>
        {
            receipt.ToTable(tablePrefix + "BudgetReceipts");
            receipt.HasKey(r => new { r.AgentId, r.IdempotencyKey });
            receipt.Property(r => r.AgentId).HasMaxLength(63);
            receipt.Property(r => r.IdempotencyKey).HasMaxLength(420);
            receipt.HasIndex(r => r.CountedAt);
        });

        builder.Entity<LumoWorkloadBindingEntity>(binding =>
        {
            binding.ToTable(tablePrefix + "WorkloadBindings");
            binding.HasKey(b => b.Id);
            binding.Property(b => b.AgentId).HasMaxLength(63).IsRequired();
            binding.Property(b => b.Issuer).HasMaxLength(63).IsRequired();
            binding.Property(b => b.Subject).HasMaxLength(500).IsRequired();
            binding.Property(b => b.Claims).HasMaxLength(4000).IsRequired();
            binding.HasIndex(b => new { b.Issuer, b.Subject });
            binding.HasIndex(b => b.AgentId);
        });

        builder.Entity<LumoApprovalEntity>(approval =>
        {
            approval.ToTable(tablePrefix + "Approvals");
            approval.HasKey(a => a.Id);
            approval.Property(a => a.Id).HasMaxLength(64);
            approval.Property(a => a.AgentId).HasMaxLength(63).IsRequired();
            approval.Property(a => a.UserSubject).HasMaxLength(200).IsRequired();
            approval.Property(a => a.BindingMessage).HasMaxLength(400);
            approval.Property(a => a.Scopes).HasMaxLength(4000).IsRequired();
            approval.Property(a => a.AuthorizationDetails).HasMaxLength(16000);
            approval.Property(a => a.Audiences).HasMaxLength(4000).IsRequired();
            approval.Property(a => a.NotificationToken).HasMaxLength(1024);
            approval.Property(a => a.AuthRequestId).HasMaxLength(100);
            approval.Property(a => a.KeyThumbprint).HasMaxLength(64);
            approval.HasIndex(a => new { a.UserSubject, a.CreatedAt });
            approval.HasIndex(a => new { a.UserSubject, a.AgentId, a.Status });
            approval.HasIndex(a => a.CreatedAt);
        });

        builder.Entity<LumoSignatureNonceEntity>(nonce =>
        {
            nonce.ToTable(tablePrefix + "SignatureNonces");
            nonce.HasKey(n => n.Id);
            nonce.Property(n => n.Id).HasMaxLength(64);
            nonce.HasIndex(n => n.KeepUntil);
        });

        return builder;
    }
}
