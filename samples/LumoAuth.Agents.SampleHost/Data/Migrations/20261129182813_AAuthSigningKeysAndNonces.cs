using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LumoAuth.Agents.SampleHost.Data.Migrations
{
    /// <inheritdoc />
    public partial class AAuthSigningKeysAndNonces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SigningKeys",
                table: "LumoAgentsAgents",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.CreateTable(
                name: "LumoAgentsSignatureNonces",
                columns: table => new
                {
                    Id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    KeepUntil = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LumoAgentsSignatureNonces", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_LumoAgentsSignatureNonces_KeepUntil",
                table: "LumoAgentsSignatureNonces",
                column: "KeepUntil");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LumoAgentsSignatureNonces");

            migrationBuilder.DropColumn(
                name: "SigningKeys",
                table: "LumoAgentsAgents");
        }
    }
}
