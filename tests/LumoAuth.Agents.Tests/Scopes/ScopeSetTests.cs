using LumoAuth.Agents.Errors;
using LumoAuth.Agents.Scopes;

namespace LumoAuth.Agents.Tests.Scopes;

public class ScopeSetTests
{
    [Test]
    public void Parse_splits_on_spaces_and_drops_duplicates()
    {
        var set = ScopeSet.Parse("read:articles  search:web read:articles");
        Assert.That(set, Is.EquivalentTo(new[] { "read:articles", "search:web" }));
        Assert.That(set.ToString(), Is.EqualTo("read:articles search:web"));
    }

    [Test]
    public void Intersection_keeps_only_common_scopes()
    {
        var result = ScopeSet.Parse("a b c").Intersect(ScopeSet.Parse("b c d")).Intersect(ScopeSet.Parse("c b"));
        Assert.That(result.ToString(), Is.EqualTo("b c"));
    }

    [TestCase("read:articles", true)]
    [TestCase("tool:search", true)]
    [TestCase("has space", false)]
    [TestCase("quote\"", false)]
    [TestCase("back\\slash", false)]
    [TestCase("", false)]
    [TestCase("caf\u00e9", false)]
    public void Scope_token_syntax_follows_RFC_6749(string scope, bool valid) =>
        Assert.That(ScopeSet.IsValidToken(scope), Is.EqualTo(valid));

    [Test]
    public void Narrowing_names_the_first_scope_outside_the_first_bound_it_breaks()
    {
        var error = ScopeNarrowing.Check(["a", "b", "z"],
            new ScopeNarrowing.Bound(ScopeSet.Parse("a b z"), "first", "the first set"),
            new ScopeNarrowing.Bound(ScopeSet.Parse("a z"), "second", "the second set"));
        Assert.That(error, Is.Not.Null);
        Assert.That(error!.Code, Is.EqualTo("second"));
        Assert.That(error.OAuthError, Is.EqualTo(OAuthErrors.InvalidScope));
        Assert.That(error.Description, Does.Contain("'b'").And.Contain("the second set"));
    }

    [Test]
    public void Narrowing_passes_a_request_within_every_bound() =>
        Assert.That(ScopeNarrowing.Check(["a"], new ScopeNarrowing.Bound(ScopeSet.Parse("a b"), "x", "x")), Is.Null);
}
