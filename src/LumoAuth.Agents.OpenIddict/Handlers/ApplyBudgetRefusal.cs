using System.Globalization;
using Microsoft.AspNetCore;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace LumoAuth.Agents.OpenIddict.Handlers;

/// <summary>
/// Sends a budget refusal as HTTP 429 with <c>Retry-After</c> set to the seconds until the spent window resets,
/// instead of the 400 OpenIddict would send for the error, and a refusal while the database is not answering as 503
/// with <c>Retry-After</c>.
/// </summary>
public sealed class ApplyBudgetRefusal : IOpenIddictServerHandler<ApplyTokenResponseContext>
{
    private readonly TimeProvider _time;

    /// <summary>Creates the handler.</summary>
    public ApplyBudgetRefusal(TimeProvider time) => _time = time;

    /// <summary>The descriptor: after OpenIddict picks the status code, before it writes the body.</summary>
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<ApplyBudgetRefusal>()
            .SetOrder(100_500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    /// <inheritdoc />
    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Transaction.Properties.TryGetValue(LumoAgentsOpenIddictConstants.RetryAfterProperty, out var value) &&
            value is DateTimeOffset resetAt && context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response &&
            context.Response.Error == Errors.OAuthErrors.TemporarilyUnavailable)
        {
            response.StatusCode = (string?)context.Response[LumoAgentsOpenIddictConstants.ErrorCodeParameter] == Errors.AgentErrorCodes.BudgetExhausted ? 429 : 503;
            var seconds = Math.Max(1, (long)Math.Ceiling((resetAt - _time.GetUtcNow()).TotalSeconds));
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return ValueTask.CompletedTask;
    }
}
