using LumoAuth.Agents.Delegation;

namespace LumoAuth.Agents.Tests.Delegation;

public class ActorChainTests
{
    [Test]
    public void Pushing_a_new_actor_nests_the_prior_chain_inside_it_per_RFC_8693()
    {
        var chain = ActorChain.Empty
            .Push(new Actor("agent:research-bot"))
            .Push(new Actor("agent:search-tool"));

        Assert.That(chain.ToJsonString(), Is.EqualTo("""{"sub":"agent:search-tool","act":{"sub":"agent:research-bot"}}"""));
        Assert.That(chain.Current!.Subject, Is.EqualTo("agent:search-tool"));
        Assert.That(chain.Origin!.Subject, Is.EqualTo("agent:research-bot"));
    }

    [Test]
    public void Parse_reads_the_outermost_act_as_the_current_actor()
    {
        Assert.That(ActorChain.TryParse("""{"sub":"agent:b","client_id":"b","act":{"sub":"agent:a","iss":"https://as"}}""", out var chain, out var error), Is.True, error);
        Assert.That(chain.Select(a => a.Subject), Is.EqualTo(new[] { "agent:b", "agent:a" }));
        Assert.That(chain[0].ClientId, Is.EqualTo("b"));
        Assert.That(chain[1].Issuer, Is.EqualTo("https://as"));
    }

    [Test]
    public void Build_and_parse_round_trip_at_every_depth_up_to_the_limit()
    {
        for (var depth = 1; depth <= ActorChain.MaxParseDepth; depth++)
        {
            var chain = ActorChain.Empty;
            for (var i = 0; i < depth; i++)
            {
                chain = chain.Push(new Actor($"agent:a{i}", $"a{i}"));
            }

            Assert.That(ActorChain.TryParse(chain.ToJsonString(), out var parsed, out var error), Is.True, error);
            Assert.That(parsed.Select(a => a.Subject), Is.EqualTo(chain.Select(a => a.Subject)));
        }
    }

    [Test]
    public void Parse_refuses_a_chain_deeper_than_the_parse_limit()
    {
        var json = string.Concat(Enumerable.Range(0, ActorChain.MaxParseDepth + 1).Select(i => $$"""{"sub":"agent:a{{i}}","act":""")) + "null" + new string('}', ActorChain.MaxParseDepth + 1);
        Assert.That(ActorChain.TryParse(json, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Null);
    }

    [Test]
    public void Parse_refuses_an_oversized_claim_before_reading_it()
    {
        var json = "{\"sub\":\"agent:a\",\"pad\":\"" + new string('x', ActorChain.MaxClaimLength) + "\"}";
        Assert.That(ActorChain.TryParse(json, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("longer"));
    }

    [TestCase("""{"act":{"sub":"agent:a"}}""", TestName = "Parse_refuses_an_actor_without_sub")]
    [TestCase("""{"sub":42}""", TestName = "Parse_refuses_a_non_string_sub")]
    [TestCase("""{"sub":""}""", TestName = "Parse_refuses_an_empty_sub")]
    [TestCase("""["agent:a"]""", TestName = "Parse_refuses_an_array")]
    [TestCase("""{"sub":"agent:a","exp":1}""", TestName = "Parse_refuses_exp_inside_an_actor")]
    [TestCase("""{"sub":"agent:a","aud":"x"}""", TestName = "Parse_refuses_aud_inside_an_actor")]
    [TestCase("""{"sub":"agent:a","act":{"sub":"agent:b","nbf":1}}""", TestName = "Parse_refuses_nbf_inside_a_nested_actor")]
    [TestCase("""{"sub":"agent:a","may_act":{"sub":"x"}}""", TestName = "Parse_refuses_may_act_inside_an_actor")]
    [TestCase("""{"sub":"agent:a","act":"agent:b"}""", TestName = "Parse_refuses_a_nested_act_that_is_not_an_object")]
    [TestCase("""{"sub":"agent:a",""", TestName = "Parse_refuses_invalid_json")]
    public void Malformed_act_claims_are_refused(string json)
    {
        Assert.That(ActorChain.TryParse(json, out var chain, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
        Assert.That(chain.Depth, Is.Zero);
    }

    [Test]
    public void May_act_must_be_a_single_actor_without_nesting()
    {
        Assert.That(ActorChain.TryParseActor("""{"sub":"agent:a","client_id":"a"}""", out var actor, out _), Is.True);
        Assert.That(actor, Is.EqualTo(new Actor("agent:a", "a")));
        Assert.That(ActorChain.TryParseActor("""{"sub":"agent:a","act":{"sub":"agent:b"}}""", out _, out var error), Is.False);
        Assert.That(error, Does.Contain("cannot nest"));
    }

    [Test]
    public void The_chain_reads_in_words_current_actor_first()
    {
        var chain = ActorChain.Empty.Push(new Actor("agent:research-bot")).Push(new Actor("agent:search-tool"));
        var names = new Dictionary<string, string?> { ["agent:research-bot"] = "Research Bot", ["agent:search-tool"] = "Search Tool", ["user:alice"] = "Alice" };
        Assert.That(chain.Describe("user:alice", s => names.GetValueOrDefault(s)), Is.EqualTo("Search Tool, used by Research Bot, acting for Alice"));
        Assert.That(ActorChain.Empty.Describe("user:alice", s => names.GetValueOrDefault(s)), Is.EqualTo("Alice"));
    }

    [Test]
    public void Contains_matches_subjects_exactly()
    {
        var chain = ActorChain.Empty.Push(new Actor("agent:a"));
        Assert.That(chain.Contains("agent:a"), Is.True);
        Assert.That(chain.Contains("agent:A"), Is.False);
    }
}
