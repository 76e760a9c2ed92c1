using System.Text.Json.Nodes;

namespace LumoAuth.Agents.IntegrationTests.Admin;

/// <summary>What every refusal of the admin, usage and audit APIs looks like: an RFC 9457 problem with a stable code, and nothing of the server's insides.</summary>
public static class ApiProblemAssert
{

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
            Hosting.NoLeak.In(response, problem.ToJsonString(), "Authorization:");
        });
        return problem;
    }

    public static IEnumerable<string> ErrorKeys(JsonObject problem) => problem["errors"]!.AsObject().Select(e => e.Key);
}
