using BenchmarkDotNet.Attributes;
using LumoAuth.Agents.Delegation;

namespace LumoAuth.Agents.Benchmarks;

/// <summary>Building an <c>act</c> claim and parsing one back, at chain depths 1, 2, 4 and 8.</summary>
[MemoryDiagnoser]
public class ActorChainBenchmarks
{
    private string _json = null!;

    [Params(1, 2, 4, 8)]
    public int Depth { get; set; }

    [GlobalSetup]
    public void Setup() => _json = Build();

    [Benchmark]
    public string Build()
    {
        var chain = ActorChain.Empty;
        for (var i = 0; i < Depth; i++)
        {
            chain = chain.Push(new Actor("agent:tool-" + i, "tool-" + i));
        }

        return chain.ToJsonString()!;
    }

    [Benchmark]
    public int Parse() => ActorChain.TryParse(_json, out var chain, out _) ? chain.Depth : -1;
}
