using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LumoAuth.Agents.SampleHost.Data.Migrations
{
    /// <inheritdoc />
    public partial class WorkloadAudit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "WorkloadIssuer",
                table: "LumoAgentsAuditRecords",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "WorkloadSubject",
                table: "LumoAgentsAuditRecords",
                type: "TEXT",
                maxLength: 500,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "WorkloadIssuer",
                table: "LumoAgentsAuditRecords");

            migrationBuilder.DropColumn(
                name: "WorkloadSubject",
                table: "LumoAgentsAuditRecords");
        }
    }
}
