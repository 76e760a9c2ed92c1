using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/LumoAuth.Agents.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>The entry point.</summary>
public partial class Program;
