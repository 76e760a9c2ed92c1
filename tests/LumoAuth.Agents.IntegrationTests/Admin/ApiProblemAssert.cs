using System.Text.Json.Nodes;

namespace LumoAuth.Agents.IntegrationTests.Admin;

/// <summary>What every refusal of the admin, usage and audit APIs looks like: an RFC 9457 problem with a stable code, and nothing of the server's insides.</summary>
public static class ApiProblemAssert
{
    private static readonly string[] Leaks =
    [
        "   at ", "Exception", "System.", "Microsoft.", "Npgsql", "SQLite", "SELECT ", "INSERT ", "stack", "LumoAuth.Agents.", "Authorization:",
    ];

    public static JsonObject IsProblem(HttpResponseMessage response, JsonNode? body, int status, string code)
    {
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(status), body?.ToJsonString());
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), body?.ToJsonString());
            Assert.That(body, Is.Not.Null, "never an empty body");
        });
        var problem = body!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That((int?)problem["status"], Is.EqualTo(status));
            Assert.That((string?)problem["title"], Is.Not.Null.And.Not.Empty);
            Assert.That((string?)problem["detail"], Is.Not.Null.And.Not.Empty);
            Assert.That((string?)problem["error_code"], Is.EqualTo(code), problem.ToJsonString());
            Assert.That((string?)problem["type"], Does.EndWith("/errors#" + code));
            var text = problem.ToJsonString() + string.Join("\n", response.Headers.Select(h => h.Key + ": " + string.Join(",", h.Value)));
            foreach (var leak in Leaks)
            {
                Assert.That(text, Does.Not.Contain(leak), "no stack trace, exception type, SQL or request header in the answer");
            }
        });
        return problem;
    }

    public static IEnumerable<string> ErrorKeys(JsonObject problem) => problem["errors"]!.AsObject().Select(e => e.Key);
}
