using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LumoAuth.Agents.SampleHost.Data.Migrations
{
    /// <inheritdoc />
    public partial class WorkloadBindings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "LumoAgentsWorkloadBindings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    AgentId = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    Issuer = table.Column<string>(type: "TEXT", maxLength: 63, nullable: false),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Claims = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LumoAgentsWorkloadBindings", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LumoAgentsWorkloadBindings_AgentId",
                table: "LumoAgentsWorkloadBindings",
                column: "AgentId");

            migrationBuilder.CreateIndex(
                name: "IX_LumoAgentsWorkloadBindings_Issuer_Subject",
                table: "LumoAgentsWorkloadBindings",
                columns: new[] { "Issuer", "Subject" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LumoAgentsWorkloadBindings");
        }
    }
}
