using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using LumoAuth.Agents.Diagnostics;
using LumoAuth.Agents.IntegrationTests.Hosting;

namespace LumoAuth.Agents.IntegrationTests.Tokens;

/// <summary>One span per token request and the documented metrics, as an OpenTelemetry exporter would see them.</summary>
[NonParallelizable]
public class TelemetryTests
{
    [Test]
    public async Task Token_requests_emit_a_span_and_the_documented_metrics()
    {
        var spans = new ConcurrentBag<Activity>();
        var measurements = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AgentsTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == AgentsTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Add((instrument.Name, value, Tags(tags))));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Add((instrument.Name, value, Tags(tags))));
        meters.Start();

        await using var server = await LibraryServer.StartAsync(DatabaseKind.Sqlite);
        using var http = server.Http();
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret)).Status, Is.EqualTo(System.Net.HttpStatusCode.OK));
        Assert.That((await TokenEndpoint.ClientCredentialsAsync(http, "research-bot", AgentServerFixture.ResearchBotSecret, "admin:all"))["error_code"], Is.EqualTo("scope_not_in_capabilities"));

        var tokenSpans = spans.Where(s => s.OperationName == AgentsTelemetry.TokenRequestActivity).ToList();
        Assert.That(tokenSpans, Has.Count.EqualTo(2));
        Assert.That(tokenSpans.Select(s => s.GetTagItem("lumo.agents.outcome")), Is.EquivalentTo(new[] { "issued", "refused" }));
        Assert.That(tokenSpans.Single(s => (string?)s.GetTagItem("lumo.agents.outcome") == "refused").GetTagItem("lumo.agents.reason"), Is.EqualTo("scope_not_in_capabilities"));

        Assert.That(measurements.Where(m => m.Instrument == "lumo.agents.tokens.issued" && (string?)m.Tags["grant_type"] == "client_credentials").Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(measurements.Where(m => m.Instrument == "lumo.agents.tokens.refused" && (string?)m.Tags["reason"] == "scope_not_in_capabilities").Sum(m => m.Value), Is.EqualTo(1));
        Assert.That(measurements.Count(m => m.Instrument == "lumo.agents.token_request.duration"), Is.EqualTo(2));
        Assert.That(measurements.Where(m => m.Instrument == "lumo.agents.token_request.duration").Select(m => m.Value), Is.All.GreaterThan(0));
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }
}
