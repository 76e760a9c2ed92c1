using LumoAuth.Agents.BlackBoxTests.Hosting;

namespace LumoAuth.Agents.BlackBoxTests.Attacks;

/// <summary>
/// Introspection (RFC 7662) as a hostile client uses it: anonymously, with duplicated or malformed parameters, with
/// odd bodies. Only an authenticated resource learns anything about a token (§2.1).
/// </summary>
public sealed class IntrospectionAttacks : AttackFixture
{
    private static readonly string[] Request = ["invalid_request"];
    private static readonly string[] RequestOrClient = ["invalid_request", "invalid_client"];

    /// <summary>An anonymous or unauthenticated caller learns nothing about the token.</summary>
    private static void SaysNothingAboutTheToken(Answer answer)
    {
        var json = answer.Json;
        Assert.That(json?["active"]?.GetValueKind(), Is.Not.EqualTo(System.Text.Json.JsonValueKind.True), $"an unauthenticated caller is told the token is active: {answer.Summary}");
        foreach (var claim in new[] { "sub", "client_id", "aud", "scope", "budget", "exp", "iss" })
        {
            Assert.That(json?.ContainsKey(claim) ?? false, Is.False, $"an unauthenticated caller learns '{claim}': {answer.Summary}");
        }
    }

    private static HostileCase Refused(string name, Func<AttackFixture, HttpRequestMessage> build, string[] errors, params int[] statuses) =>
        new(name, build, Shape.OAuthError, statuses.Length == 0 ? [400, 401] : statuses, errors, Also: SaysNothingAboutTheToken);

    private static HostileCase Inactive(string name, Func<AttackFixture, HttpRequestMessage> build) => new(name, build, Shape.Inactive, [200]);

    private static HttpRequestMessage AsApi(HttpRequestMessage request) => Basic(request, Tenant.Api, Tenant.ApiSecret);

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var path in new[] { Tenant.IntrospectionPath, Tenant.SeedIntrospectionPath })
        {
            var p = path == Tenant.IntrospectionPath ? "" : " (seed path)";
            yield return Refused("anonymous caller with only an agent's token" + p, f => Form(path, ("token", f.ResearchBotToken)), RequestOrClient).ToTestCase();
            yield return Refused("anonymous caller with an admin token" + p, f => Form(path, ("token", f.AdminToken), ("token_type_hint", "access_token")), RequestOrClient).ToTestCase();
            yield return Refused("the resource's client_id without its secret" + p, f => Form(path, ("token", f.ResearchBotToken), ("client_id", Tenant.Api)), RequestOrClient).ToTestCase();
            yield return Refused("the resource with a wrong secret" + p, f => Basic(Form(path, ("token", f.ResearchBotToken)), Tenant.Api, "wrong-secret-value"), ["invalid_client"]).ToTestCase();
            yield return Refused("the token duplicated" + p, f => AsApi(Form(path, ("token", f.ResearchBotToken), ("token", f.SearchToolToken))), Request).ToTestCase();
            yield return Refused("10,000 form parameters" + p, f => AsApi(Form(path, ManyFields(10_000, ("token", f.ResearchBotToken)))), Request, 400, 413).ToTestCase();
        }

        const string P = Tenant.IntrospectionPath;
        yield return Refused("an agent introspecting another agent's token with its own bearer token", f => With(Form(P, ("token", f.SearchToolToken)), "Bearer " + f.ResearchBotToken), RequestOrClient).ToTestCase();
        yield return Refused("no token parameter", _ => AsApi(Form(P, ("token_type_hint", "access_token"))), Request).ToTestCase();
        yield return Refused("an empty token", _ => AsApi(Form(P, ("token", ""))), Request).ToTestCase();
        yield return Refused("a token of 1.2 MB", _ => AsApi(Form(P, ("token", Filler(1_200_000)))), Request, 400, 413).ToTestCase();
        yield return Refused("a JSON body", f => AsApi(Raw(P, $$"""{"token":"{{f.ResearchBotToken}}"}""", "application/json")), Request).ToTestCase();
        yield return Refused("a text/plain body", f => AsApi(Raw(P, "token=" + f.ResearchBotToken, "text/plain")), Request, 400, 415).ToTestCase();
        yield return Refused("client_secret duplicated", f => Form(P, ("token", f.ResearchBotToken), ("client_id", Tenant.Api), ("client_secret", "wrong-secret-value"), ("client_secret", Tenant.ApiSecret)), RequestOrClient).ToTestCase();
        yield return Refused("client_id duplicated", f => Form(P, ("token", f.ResearchBotToken), ("client_id", Tenant.Api), ("client_id", Tenant.ResearchBot), ("client_secret", Tenant.ApiSecret)), RequestOrClient).ToTestCase();
        yield return Refused("Basic and body credentials together", f => AsApi(Form(P, ("token", f.ResearchBotToken), ("client_id", Tenant.Api), ("client_secret", Tenant.ApiSecret))), RequestOrClient).ToTestCase();
        yield return Refused("the token in a GET query", f => AsApi(Get($"{P}?token={f.ResearchBotToken}")), Request, 400, 405).ToTestCase();
        yield return Refused("NUL byte in client_id", f => Form(P, ("token", f.ResearchBotToken), ("client_id", Tenant.Api + "\0"), ("client_secret", Tenant.ApiSecret)), RequestOrClient).ToTestCase();
        yield return Refused("NUL byte in the token", f => AsApi(Form(P, ("token", f.ResearchBotToken + "\0"))), Request, 400).ToTestCase();
        yield return Inactive("markup as the token", _ => AsApi(Form(P, ("token", HostileAnswers.Markup)))).ToTestCase();
        yield return Refused("control characters in the token", _ => AsApi(Form(P, ("token", "a\u0001b\u001fc\r\nd"))), Request, 400).ToTestCase();
        yield return Inactive("a made-up token with a made-up hint", _ => AsApi(Form(P, ("token", "made-up"), ("token_type_hint", HostileAnswers.Markup)))).ToTestCase();
        yield return Inactive("a token of two dots", _ => AsApi(Form(P, ("token", "..")))).ToTestCase();
    }

    [TestCaseSource(nameof(Cases))]
    public override Task Hostile_input_is_refused_in_the_endpoint_s_error_shape_without_a_leak(HostileCase hostile) => AssertRefusedAsync(hostile);
}
