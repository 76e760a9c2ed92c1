namespace LumoAuth.Agents.SampleAgent;

/// <summary>
/// The sample agent: runs the four patterns against the sample host (http://127.0.0.1:5080) and the sample API
/// (http://127.0.0.1:5081), then one refusal of each kind. Options: --host URL --api URL --redirect-uri URL.
/// </summary>
public static class Program
{
    /// <summary>Runs the demo; exits 0 when every step went as the story says, 1 when one did not, 2 when the servers cannot be reached.</summary>
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            var demo = await AgentDemo.RunAsync(DemoSettings.Parse(args), Console.Out, cancel.Token);
            return demo.Steps.All(s => s.Passed) ? 0 : 1;
        }
        catch (HttpRequestException exception)
        {
            await Console.Error.WriteLineAsync($"Could not reach the sample host or API ({exception.Message}). Start them first:");
            await Console.Error.WriteLineAsync("  dotnet run --project samples/LumoAuth.Agents.SampleHost");
            await Console.Error.WriteLineAsync("  dotnet run --project samples/LumoAuth.Agents.SampleApi");
            return 2;
        }
        catch (LumoAuth.Agents.Client.AgentTokenException exception)
        {
            await Console.Error.WriteLineAsync($"The token server refused a step the demo needs: {exception.Message}");
            return 1;
        }
    }
}
