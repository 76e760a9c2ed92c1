using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LumoAuth.Agents.Audit;
using LumoAuth.Agents.Clients;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Errors;
using LumoAuth.Agents.OpenIddict.Handlers;
using LumoAuth.Agents.OpenIddict.Registration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>RFC 7591 dynamic client registration, for MCP clients that cannot host a client ID metadata document.</summary>
public static class LumoAgentsClientRegistrationEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;
    private static readonly string[] CodeResponseType = ["code"];

    /// <summary>
    /// Maps <c>POST {pattern}</c>, the RFC 7591 registration endpoint. It answers only while
    /// <c>LumoAgents:ClientRegistration:Dynamic:Enabled</c> is on (404 otherwise), and discovery then names it as
    /// <c>registration_endpoint</c>. A registered client is a user's public client (PKCE, no secret) like a metadata
    /// document client. Without an initial access token only loopback redirect URIs may be registered (and only while
    /// <c>AllowAnonymousLoopback</c>); with one of the configured tokens (<c>Authorization: Bearer</c>) any https one.
    /// Each IP may register <c>RegistrationsPerHourPerIp</c> clients per hour. Refusals are RFC 7591 errors
    /// (<c>invalid_client_metadata</c>, <c>invalid_redirect_uri</c>; <c>invalid_token</c> 401; 413, 415, 429), audited.
    /// </summary>
    public static RouteHandlerBuilder MapLumoAgentsClientRegistration(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = LumoAgentsServerHandlers.ClientRegistration.DynamicRegistrationPath)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.ServiceProvider.GetRequiredService<DynamicRegistrationState>().Path = pattern;
        return endpoints.MapPost(pattern, HandleAsync).WithName("LumoAgentsClientRegistration").ExcludeFromDescription();
    }

    private static async Task<IResult> HandleAsync(HttpContext http, IOptionsMonitor<LumoAgentsOptions> options, DynamicRegistrationState state,
        IOpenIddictApplicationManager applications, AuditTrail trail, TimeProvider time)
    {
        var settings = options.CurrentValue.ClientRegistration.Dynamic;
        if (!settings.Enabled)
        {
            return Results.NotFound();
        }

        http.Response.Headers.CacheControl = "no-store";
        var ip = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var audit = new AuditContext { GrantType = "client_registration", ClientIp = ip };
        async Task<IResult> RefuseAsync(int status, string error, string description)
        {
            await trail.RecordProtocolRefusalAsync(error, description, AgentErrorCodes.ClientRegistrationRefused, audit, http.RequestAborted);
            if (status == StatusCodes.Status401Unauthorized)
            {
                http.Response.Headers.WWWAuthenticate = $"Bearer error=\"{error}\"";
            }

            return Results.Json(new Dictionary<string, string> { ["error"] = error, ["error_description"] = AgentErrorDescription(description) }, statusCode: status);
        }

        var presented = InitialAccessToken(http.Request);
        var trusted = presented is not null && settings.InitialAccessTokens.Any(t => FixedTimeEquals(t, presented));
        if (presented is not null && !trusted)
        {
            return await RefuseAsync(StatusCodes.Status401Unauthorized, "invalid_token", "The initial access token is not valid.");
        }

        if (!(http.Request.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return await RefuseAsync(StatusCodes.Status415UnsupportedMediaType, "invalid_client_metadata", "The registration request must be application/json.");
        }

        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return await RefuseAsync(StatusCodes.Status413PayloadTooLarge, "invalid_client_metadata", $"The registration request may be at most {MaxBodyBytes} bytes.");
        }

        var body = await ReadAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return await RefuseAsync(StatusCodes.Status413PayloadTooLarge, "invalid_client_metadata", $"The registration request may be at most {MaxBodyBytes} bytes.");
        }

        var clientId = "dyn_" + Base64Url(RandomNumberGenerator.GetBytes(18));
        ClientMetadataDocument? metadata;
        string? problem;
        bool redirectUrisInvalid;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            metadata = ClientMetadataDocument.ReadRegistration(document.RootElement, clientId, out problem, out redirectUrisInvalid);
        }
        catch (JsonException)
        {
            return await RefuseAsync(StatusCodes.Status400BadRequest, "invalid_client_metadata", "The registration request is not valid JSON.");
        }

        if (metadata is null)
        {
            return await RefuseAsync(StatusCodes.Status400BadRequest, redirectUrisInvalid ? "invalid_redirect_uri" : "invalid_client_metadata", problem!);
        }

        if (!trusted && (!settings.AllowAnonymousLoopback || metadata.RedirectUris.Any(u => u.Scheme != Uri.UriSchemeHttp || !u.IsLoopback)))
        {
            return await RefuseAsync(StatusCodes.Status400BadRequest, "invalid_redirect_uri", settings.AllowAnonymousLoopback
                ? "Without an initial access token only loopback redirect URIs (http://127.0.0.1, http://[::1], http://localhost) may be registered."
                : "Registering a client needs an initial access token.");
        }

        using (var lease = state.Limiter(settings.RegistrationsPerHourPerIp).AttemptAcquire(ip))
        {
            if (!lease.IsAcquired)
            {
                http.Response.Headers.RetryAfter = "3600";
                return await RefuseAsync(StatusCodes.Status429TooManyRequests, "invalid_client_metadata", "Too many clients were registered from this address; try again later.");
            }
        }

        var registrar = new UserClientRegistrar(applications, options);
        await registrar.CreateAsync(metadata, http.RequestAborted);
        await trail.RecordAdminAsync("client_registered", clientId, null, audit with { ClientId = clientId }, http.RequestAborted);
        var scopes = metadata.Scopes is null ? registrar.AllowedScopes() : registrar.AllowedScopes().Intersect(metadata.Scopes, StringComparer.Ordinal).ToArray();
        return Results.Json(new Dictionary<string, object?>
        {
            ["client_id"] = clientId,
            ["client_id_issued_at"] = time.GetUtcNow().ToUnixTimeSeconds(),
            ["client_name"] = metadata.ClientName,
            ["redirect_uris"] = metadata.RedirectUris.Select(u => u.OriginalString).ToArray(),
            ["grant_types"] = metadata.GrantTypes,
            ["response_types"] = CodeResponseType,
            ["token_endpoint_auth_method"] = "none",
            ["scope"] = string.Join(' ', scopes.Order(StringComparer.Ordinal)),
        }.Where(p => p.Value is not null).ToDictionary(), statusCode: StatusCodes.Status201Created);
    }

    private static string AgentErrorDescription(string description) => ErrorText.Printable(description, 500);

    private static string? InitialAccessToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    private static async Task<byte[]?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxBodyBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await request.Body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }

        return read > MaxBodyBytes ? null : buffer[..read];
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
