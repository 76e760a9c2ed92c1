using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json.Nodes;
using LumoAuth.Agents;
using LumoAuth.Agents.Approvals;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Dpop;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict;
using LumoAuth.Agents.OpenIddict.Approvals;
using LumoAuth.Agents.OpenIddict.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>The OpenID CIBA backchannel authentication endpoint: an agent asks a user to approve an action.</summary>
public static class LumoAgentsBackchannelAuthenticationEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;
    private const string AuditGrant = "backchannel_authentication";

    private static readonly string[] SingleValued =
    [
        Parameters.ClientId, Parameters.ClientSecret, Parameters.Scope, "login_hint", "id_token_hint", "login_hint_token", "binding_message",
        "requested_expiry", "client_notification_token", "user_code", LumoAgentsOpenIddictConstants.AuthorizationDetailsParameter,
        Parameters.ClientAssertion, Parameters.ClientAssertionType,
    ];

    /// <summary>
    /// Maps <c>POST {pattern}</c>, the backchannel authentication endpoint (OpenID CIBA Core 1.0 §7), and names it in
    /// discovery. An agent that may act for users authenticates with its client secret (<c>client_secret_basic</c> or
    /// <c>client_secret_post</c>) and names the user (<c>login_hint</c>, found by the host's <c>IUserDirectory</c>), what
    /// the user will see (<c>binding_message</c>) and what is to be approved (<c>scope</c> and/or RFC 9396
    /// <c>authorization_details</c>); it gets <c>auth_req_id</c>, <c>expires_in</c> and <c>interval</c>, then redeems the
    /// approval at the token endpoint with the CIBA grant, polling, or once pinged when it registered a notification
    /// endpoint. Refusals are OAuth/CIBA errors with an <c>error_code</c>, audited; a DPoP proof binds the approval to
    /// the agent's key.
    /// </summary>
    public static RouteHandlerBuilder MapLumoAgentsBackchannelAuthentication(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = ApprovalOptions.DefaultPath)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.ServiceProvider.GetRequiredService<BackchannelEndpointState>().Path = pattern;
        return endpoints.MapPost(pattern, HandleAsync).WithName("LumoAgentsBackchannelAuthentication").ExcludeFromDescription().DisableAntiforgery();
    }

    private static async Task HandleAsync(HttpContext http, IOptionsMonitor<LumoAgentsOptions> optionsMonitor, IOpenIddictApplicationManager applications,
        ApprovalPolicy policy, AuditTrail trail, DpopProofValidator dpop, IAgentStore agents, TimeProvider time)
    {
        var options = optionsMonitor.CurrentValue;
        var ip = http.Connection.RemoteIpAddress?.ToString();
        var audit = new AuditContext { GrantType = AuditGrant, ClientIp = ip };
        async Task RefuseAsync(int status, AgentError error)
        {
            await trail.RecordProtocolRefusalAsync(error.OAuthError, error.Description, error.Code, audit, http.RequestAborted);
            if (status == StatusCodes.Status401Unauthorized)
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"backchannel\"";
            }

            await ProtocolResponse.WriteErrorAsync(http.Response, status, error, options, null, http.RequestAborted);
        }

        if (!http.Request.HasFormContentType)
        {
            await RefuseAsync(StatusCodes.Status400BadRequest, new AgentError(AgentErrorCodes.RequestUnreadable, OAuthErrors.InvalidRequest,
                "The backchannel authentication request must be an application/x-www-form-urlencoded POST."));
            return;
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            await RefuseAsync(StatusCodes.Status413PayloadTooLarge, new AgentError(AgentErrorCodes.RequestUnreadable, OAuthErrors.InvalidRequest,
                $"The request may be at most {MaxBodyBytes} bytes."));
            return;
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueLengthLimit = MaxBodyBytes, KeyLengthLimit = 100, ValueCountLimit = 64, BufferBodyLengthLimit = MaxBodyBytes, MultipartBodyLengthLimit = MaxBodyBytes },
                http.RequestAborted);
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or BadHttpRequestException)
        {
            await RefuseAsync(StatusCodes.Status400BadRequest, new AgentError(AgentErrorCodes.RequestUnreadable, OAuthErrors.InvalidRequest,
                $"The request body could not be read as a form: at most {MaxBodyBytes} bytes and 64 parameters, no NUL characters."));
            return;
        }

        if (SingleValued.FirstOrDefault(name => form[name].Count > 1) is { } repeated)
        {
            await RefuseAsync(StatusCodes.Status400BadRequest, new AgentError(AgentErrorCodes.ParameterDuplicated, OAuthErrors.InvalidRequest,
                $"The '{repeated}' parameter appears more than once."));
            return;
        }

        // Client authentication: client_secret_basic or client_secret_post, one of them (RFC 6749 section 2.3.1).
        var (clientId, secret, authError) = ClientCredentials(http.Request, form);
        audit = audit with { ClientId = clientId };
        if (authError is not null)
        {
            await RefuseAsync(StatusCodes.Status401Unauthorized, authError);
            return;
        }

        if (await applications.FindByClientIdAsync(clientId!, http.RequestAborted) is not { } application ||
            !await applications.HasClientTypeAsync(application, ClientTypes.Confidential, http.RequestAborted) ||
            !await applications.ValidateClientSecretAsync(application, secret!, http.RequestAborted))
        {
            await RefuseAsync(StatusCodes.Status401Unauthorized, new AgentError(AgentErrorCodes.ClientAuthenticationRequired, OAuthErrors.InvalidClient,
                "The client could not be authenticated: a confidential agent authenticates with its client secret here."));
            return;
        }

        if (!string.IsNullOrEmpty(form["user_code"]))
        {
            await RefuseAsync(StatusCodes.Status400BadRequest, new AgentError(AgentErrorCodes.ParameterNotAllowed, OAuthErrors.InvalidRequest,
                "This server does not use a user code (backchannel_user_code_parameter_supported is false)."));
            return;
        }

        // A DPoP proof binds the approval, and so its token, to the agent's key; an agent registered for bound tokens must send one.
        string? thumbprint = null;
        var proofs = http.Request.Headers[LumoAgentsOpenIddictConstants.DpopHeader];
        if (proofs.Count > 0)
        {
            var nonces = options.Dpop.Nonces(time);
            var outcome = await dpop.ValidateAsync(new DpopProofRequest
            {
                Proofs = [.. proofs.Select(p => p ?? string.Empty)],
                Method = http.Request.Method,
                Uri = LumoAuth.Agents.Shared.DpopBinding.Target(http.Request),
                NonceIsValid = nonces is null ? null : nonces.IsValid,
            }, options.Dpop, http.RequestAborted);
            if (nonces is not null)
            {
                http.Response.Headers["DPoP-Nonce"] = nonces.Current();
            }

            if (outcome.Proof is null)
            {
                var code = outcome.Error == DpopProofOutcome.UseNonce ? AgentErrorCodes.DpopNonceRequired : AgentErrorCodes.DpopProofInvalid;
                await RefuseAsync(StatusCodes.Status400BadRequest, new AgentError(code, outcome.Error!, outcome.Description!));
                return;
            }

            thumbprint = outcome.Proof.Thumbprint;
        }
        else if (await agents.FindAsync(clientId!, http.RequestAborted) is { RequireSenderConstrainedTokens: true })
        {
            await RefuseAsync(StatusCodes.Status400BadRequest, new AgentError(AgentErrorCodes.DpopProofRequired, DpopProofOutcome.InvalidProof,
                $"Agent '{clientId}' receives sender-constrained tokens only: send a DPoP proof of its key with the request."));
            return;
        }

        var request = new BackchannelRequest
        {
            AgentId = clientId!,
            LoginHint = Single(form, "login_hint"),
            HasOtherHint = !StringValues.IsNullOrEmpty(form["id_token_hint"]) || !StringValues.IsNullOrEmpty(form["login_hint_token"]),
            BindingMessage = Single(form, "binding_message"),
            Scope = Single(form, Parameters.Scope),
            AuthorizationDetails = Single(form, LumoAgentsOpenIddictConstants.AuthorizationDetailsParameter),
            RequestedExpiry = Single(form, "requested_expiry"),
            NotificationToken = Single(form, "client_notification_token"),
            Audiences = [.. form[Parameters.Audience].Concat(form[Parameters.Resource]).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!)],
            KeyThumbprint = thumbprint,
        };
        audit = audit with { ScopesRequested = request.Scope, AudiencesRequested = string.Join(' ', request.Audiences) };

        BackchannelOutcome started;
        try
        {
            started = await policy.StartAsync(request, http.RequestAborted);
        }
        catch (Exception exception) when (StoreFailures.IsUnavailable(exception))
        {
            await RefuseAsync(StatusCodes.Status503ServiceUnavailable, new AgentError(AgentErrorCodes.PolicyUnavailable, OAuthErrors.TemporarilyUnavailable,
                "The approval request could not be stored; try again later."));
            return;
        }

        if (started.Error is { } refusal)
        {
            await RefuseAsync(refusal.OAuthError == OAuthErrors.UnauthorizedClient ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest, refusal);
            return;
        }

        var stored = started.Request!;
        await trail.RecordApprovalAsync("requested", stored, null, audit, http.RequestAborted);
        await ProtocolResponse.WriteAsync(http.Response, new JsonObject
        {
            ["auth_req_id"] = started.AuthRequestId,
            ["expires_in"] = (long)Math.Floor((stored.ExpiresAt - stored.CreatedAt).TotalSeconds),
            ["interval"] = stored.IntervalSeconds,
        }, http.RequestAborted);
    }

    private static string? Single(IFormCollection form, string name) => form[name] is { Count: 1 } values ? values[0] : null;

    private static (string? ClientId, string? Secret, AgentError? Error) ClientCredentials(HttpRequest request, IFormCollection form)
    {
        static (string?, string?, AgentError?) Fail(string description) =>
            (null, null, new AgentError(AgentErrorCodes.ClientAuthenticationRequired, OAuthErrors.InvalidClient, description));

        if (!StringValues.IsNullOrEmpty(form[Parameters.ClientAssertion]))
        {
            return Fail("Client assertions are not accepted here: authenticate with the client secret (client_secret_basic or client_secret_post).");
        }

        var header = request.Headers.Authorization;
        var formId = Single(form, Parameters.ClientId);
        var formSecret = Single(form, Parameters.ClientSecret);
        if (header.Count > 0)
        {
            if (formSecret is not null)
            {
                return Fail("Use one client authentication method: the Authorization header or client_secret in the body, not both.");
            }

            var value = header.ToString();
            if (header.Count != 1 || !value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                return Fail("The Authorization header must be Basic client authentication (client_secret_basic).");
            }

            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(value["Basic ".Length..].Trim()));
            }
            catch (FormatException)
            {
                return Fail("The Basic credentials are not valid base64.");
            }

            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return Fail("The Basic credentials must be client_id:client_secret.");
            }

            var id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            if (formId is not null && !string.Equals(formId, id, StringComparison.Ordinal))
            {
                return Fail("The client_id in the body differs from the authenticated one.");
            }

            return (id, Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')), null);
        }

        return formId is { Length: > 0 } && formSecret is { Length: > 0 }
            ? (formId, formSecret, null)
            : Fail("The client must authenticate with its client secret (client_secret_basic or client_secret_post).");
    }
}
