using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LumoAuth.Agents.SampleHost.Data.Migrations
{
    /// <inheritdoc />
    public partial class SenderConstrainedTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "RequireSenderConstrainedTokens",
                table: "LumoAgentsAgents",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RequireSenderConstrainedTokens",
                table: "LumoAgentsAgents");
        }
    }
}
