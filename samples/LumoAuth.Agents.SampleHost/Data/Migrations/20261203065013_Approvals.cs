using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LumoAuth.Agents.SampleHost.Data.Migrations
{
    /// <inheritdoc />
    public partial class Approvals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ApprovalRules",
                table: "LumoAgentsAgents",
                type: "TEXT",
                maxLength: 4000,
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "BackchannelNotificationEndpoint",
                table: "LumoAgentsAgents",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "LumoAgentsApprovals",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    AgentId = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    UserSubject = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    BindingMessage = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    Scopes = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    AuthorizationDetails = table.Column<string>(type: "TEXT", maxLength: 16000, nullable: true),
                    Audiences = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    DeliveryMode = table.Column<int>(type: "INTEGER", nullable: false),
                    AuthRequestId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    NotificationToken = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    KeyThumbprint = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    IntervalSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    NextPollAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ShownAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ApprovalValidUntil = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LumoAgentsApprovals", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LumoAgentsApprovals_CreatedAt",
                table: "LumoAgentsApprovals",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_LumoAgentsApprovals_UserSubject_AgentId_Status",
                table: "LumoAgentsApprovals",
                columns: new[] { "UserSubject", "AgentId", "Status" });

            migrationBuilder.CreateIndex(
                name: "IX_LumoAgentsApprovals_UserSubject_CreatedAt",
                table: "LumoAgentsApprovals",
                columns: new[] { "UserSubject", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LumoAgentsApprovals");

            migrationBuilder.DropColumn(
                name: "ApprovalRules",
                table: "LumoAgentsAgents");

            migrationBuilder.DropColumn(
                name: "BackchannelNotificationEndpoint",
                table: "LumoAgentsAgents");
        }
    }
}
