using LumoAuth.Agents.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace LumoAuth.Agents.IntegrationTests.Hosting;

/// <summary>
/// A running token server a test talks to over real HTTP: the library's own test host (<see cref="LibraryServer"/>)
/// or the whole sample (<see cref="SampleServer"/>).
/// </summary>
public interface ITestServer : IAsyncDisposable
{
    /// <summary>The address Kestrel listens on, e.g. <c>http://127.0.0.1:41234/</c>; also the token issuer unless pinned.</summary>
    Uri BaseAddress { get; }

    /// <summary>The host's services, for arranging state a test needs and reading what a request left behind.</summary>
    IServiceProvider Services { get; }
}

/// <summary>What every test does with a server, written once for both kinds.</summary>
public static class TestServerExtensions
{
    /// <summary>A plain HTTP client, as an agent would use.</summary>
    public static HttpClient Http(this ITestServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new HttpClient { BaseAddress = server.BaseAddress };
    }

    /// <summary>A browser: keeps cookies, does not follow redirects, so each step of a login can be checked.</summary>
    public static HttpClient Browser(this ITestServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new System.Net.CookieContainer() })
        {
            BaseAddress = server.BaseAddress,
        };
    }

    /// <summary>Runs <paramref name="action"/> with a service from a scope of its own, as a request would.</summary>
    public static async Task<T> WithServiceAsync<T, TService>(this ITestServer server, Func<TService, Task<T>> action) where TService : notnull
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(action);
        await using var scope = server.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    /// <summary>The audit records matching <paramref name="query"/>, newest first.</summary>
    public static Task<IReadOnlyList<AuditRecord>> AuditAsync(this ITestServer server, AuditQuery query) =>
        server.WithServiceAsync<IReadOnlyList<AuditRecord>, IAuditStore>(store => store.QueryAsync(query, default).AsTask());
}
