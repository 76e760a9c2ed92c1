using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LumoAuth.Agents.SampleHost.Data.Migrations
{
    /// <inheritdoc />
    public partial class TokensNotBefore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "TokensNotBefore",
                table: "LumoAgentsConsents",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "TokensNotBefore",
                table: "LumoAgentsAgents",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TokensNotBefore",
                table: "LumoAgentsConsents");

            migrationBuilder.DropColumn(
                name: "TokensNotBefore",
                table: "LumoAgentsAgents");
        }
    }
}
