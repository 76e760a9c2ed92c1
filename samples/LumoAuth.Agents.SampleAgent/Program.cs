using LumoAuth.Agents.SampleAgent;

// The sample agent: runs the four patterns against the sample host (http://127.0.0.1:5080) and the sample API
// (http://127.0.0.1:5081), then one refusal of each kind. Options: --host URL --api URL --redirect-uri URL.
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
try
{
    var demo = await AgentDemo.RunAsync(DemoSettings.Parse(args), Console.Out, cancel.Token);
    return demo.Steps.All(s => s.Passed) ? 0 : 1;
}
catch (HttpRequestException exception)
{
    Console.Error.WriteLine($"Could not reach the sample host or API ({exception.Message}). Start them first:");
    Console.Error.WriteLine("  dotnet run --project samples/LumoAuth.Agents.SampleHost");
    Console.Error.WriteLine("  dotnet run --project samples/LumoAuth.Agents.SampleApi");
    return 2;
}
