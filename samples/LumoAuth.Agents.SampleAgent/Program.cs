using System.Text.Json;
using LumoAuth.Agents.Client;

namespace LumoAuth.Agents.SampleAgent;

/// <summary>
/// The sample agent: runs the four patterns against the sample host (http://127.0.0.1:5080) and the sample API
/// (http://127.0.0.1:5081), then one refusal of each kind, then the MCP part against the sample MCP server
/// (http://127.0.0.1:5082/mcp). Options: --host URL --api URL --mcp URL --redirect-uri URL --dev-ca PATH.
/// </summary>
public static class Program
{
    /// <summary>
    /// Runs the demo; exits 0 when every step went as the story says, 1 when one did not or the demo could not go on
    /// (a server not reachable, a refused step, a bad option), with the reason on one line of standard error.
    /// </summary>
    public static async Task<int> Main(string[] args) => await RunAsync(args, Console.Out, Console.Error);

    /// <summary><see cref="Main"/> with the output and error writers given.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var settings = new DemoSettings();
        try
        {
            settings = DemoSettings.Parse(args);
            var demo = await AgentDemo.RunAsync(settings, output, cancel.Token);
            var mcp = await McpDemo.RunAsync(settings, output, cancel.Token);
            return demo.Steps.Concat(mcp.Steps).All(s => s.Passed) ? 0 : 1;
        }
        catch (Exception exception)
        {
            await errors.WriteLineAsync("sample agent: " + Reason(exception, settings, cancel.IsCancellationRequested));
            return 1;
        }
    }

    /// <summary>The one-line reason for a failure; anything the demo did not foresee is named by its type, still on one line.</summary>
    private static string Reason(Exception exception, DemoSettings settings, bool timedOut) => exception switch
    {
        DemoFailedException failed => failed.Message,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } unreachable =>
            Unreachable(unreachable, settings),
        AgentTokenException { Status: 0, InnerException: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } unreachable } =>
            Unreachable(unreachable, settings),
        HttpRequestException http => $"an HTTP request failed: {OneLine(http.Message)}",
        AgentTokenException refused => $"the token server refused a step the demo needs: {OneLine(refused.Message)}",
        OperationCanceledException when timedOut => "the demo did not finish within 2 minutes; is the host or the API stuck?",
        JsonException json => $"a server answered with something that is not the JSON the demo expects: {OneLine(json.Message)}",
        _ => $"the demo failed unexpectedly ({exception.GetType().Name}): {OneLine(exception.Message)}",
    };

    private static string Unreachable(HttpRequestException exception, DemoSettings settings) =>
        $"could not reach a server ({OneLine(exception.Message)}); the host is expected at {settings.Host}, the API at {settings.Api} and the MCP server at {settings.Mcp}. " +
        "Start them first (dotnet run --project samples/LumoAuth.Agents.SampleHost, then samples/LumoAuth.Agents.SampleApi and samples/LumoAuth.Agents.SampleMcpServer) or pass --host URL --api URL --mcp URL.";

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
