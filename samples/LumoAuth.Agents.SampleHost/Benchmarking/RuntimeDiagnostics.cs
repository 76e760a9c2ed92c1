using System.Diagnostics;
using System.Net;

namespace LumoAuth.Agents.SampleHost.Benchmarking;

/// <summary>
/// BENCHMARKS ONLY (<c>Sample:DiagnosticsEndpoint=true</c>, loopback callers only): the figures the load generator
/// divides by the number of requests — bytes allocated, CPU time, working set.
/// </summary>
internal static class RuntimeDiagnostics
{
    public static void MapRuntimeDiagnostics(this WebApplication app) =>
        app.MapGet("/_diagnostics/runtime", (HttpContext http) =>
        {
            if (http.Connection.RemoteIpAddress is not { } caller || !IPAddress.IsLoopback(caller))
            {
                return Results.NotFound();
            }

            using var process = Process.GetCurrentProcess();
            return Results.Ok(new
            {
                allocated_bytes = GC.GetTotalAllocatedBytes(false),
                cpu_ms = process.TotalProcessorTime.TotalMilliseconds,
                working_set_bytes = Environment.WorkingSet,
                gc_count = GC.CollectionCount(0),
            });
        }).ExcludeFromDescription();
}
