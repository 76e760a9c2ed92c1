using System.Data.Common;
using System.Net.Sockets;

namespace LumoAuth.Agents.Errors;

/// <summary>
/// Tells a store that is not answering (a database down, restarting, unreachable or timing out) from every other
/// failure, by exception type and the provider's own transience flag, never by message. Such a failure is answered
/// <c>temporarily_unavailable</c> with <c>Retry-After</c>: retrying helps.
/// </summary>
public static class StoreFailures
{
    /// <summary>Seconds a client is told to wait before retrying while a store is not answering.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// The OAuth error for a request that failed with <paramref name="exception"/> where nothing was issued:
    /// <c>temporarily_unavailable</c> while the store is not answering (retrying helps), else <c>server_error</c>.
    /// </summary>
    public static string OAuthErrorFor(Exception? exception) => IsUnavailable(exception) ? OAuthErrors.TemporarilyUnavailable : OAuthErrors.ServerError;

    /// <summary>True when <paramref name="exception"/> or one it wraps says the store could not be reached in time.</summary>
    public static bool IsUnavailable(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException { IsTransient: true } or TimeoutException or SocketException)
            {
                return true;
            }
        }

        return false;
    }
}
