using System.Text.Json.Nodes;
using LumoAuth.Agents.AAuth;
using LumoAuth.Agents.HttpSignatures.Keys;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

using LumoAuth.Agents.OpenIddict.AAuth;

// Kept in the ASP.NET Core routing namespace, beside the host's other Map* calls.
namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the AAuth token endpoint and its metadata document.</summary>
public static class AAuthEndpointRouteBuilderExtensions
{
    /// <summary>The algorithms agents may sign requests with.</summary>
    public static readonly IReadOnlyList<string> SigningAlgorithms =
        [Ed25519SignatureKey.Name, EcdsaSignatureKey.P256Sha256, EcdsaSignatureKey.P384Sha384, RsaSignatureKey.PssSha512, RsaSignatureKey.Pkcs1Sha256];

    /// <summary>
    /// Maps <c>POST {tokenPath}</c> (each path given) and <c>GET /.well-known/aauth-issuer</c>, the metadata that
    /// tells agents where the endpoint is and what it accepts. The first path is the one advertised.
    /// </summary>
    public static IEndpointRouteBuilder MapLumoAgentsAAuth(this IEndpointRouteBuilder endpoints, params string[] tokenPaths)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (tokenPaths is null || tokenPaths.Length == 0)
        {
            tokenPaths = ["/aauth/agent/token"];
        }

        var protocolPaths = endpoints.ServiceProvider.GetService<LumoAuth.Agents.OpenIddict.Endpoints.ProtocolEndpointPaths>();
        foreach (var path in tokenPaths)
        {
            protocolPaths?.Add(path);
            endpoints.MapPost(path, (HttpContext http, AAuthTokenEndpoint endpoint) => endpoint.HandleAsync(http))
                .DisableAntiforgery()
                .WithName("AAuthToken" + path.GetHashCode(StringComparison.Ordinal).ToString("x", System.Globalization.CultureInfo.InvariantCulture))
                .WithSummary("AAuth: key-bound agent, auth, refresh and exchange tokens for signed requests")
                .ExcludeFromDescription();
        }

        endpoints.MapGet("/.well-known/aauth-issuer", (HttpContext http, IOptionsMonitor<OpenIddictServerOptions> server, IOptionsMonitor<AAuthOptions> aauth) =>
        {
            var issuer = AAuthTokenEndpoint.IssuerOf(http.Request, server.CurrentValue);
            var baseUri = new Uri(issuer);
            var jwks = server.CurrentValue.JsonWebKeySetEndpointUris.FirstOrDefault();
            var document = new JsonObject
            {
                ["issuer"] = issuer,
                ["jwks_uri"] = jwks is null ? null : new Uri(baseUri, jwks.IsAbsoluteUri ? jwks.AbsolutePath : jwks.OriginalString.TrimStart('/')).AbsoluteUri,
                ["aauth_token_endpoint"] = new Uri(baseUri, tokenPaths[0].TrimStart('/')).AbsoluteUri,
                ["request_types_supported"] = new JsonArray(AAuthConstants.RequestAgent, AAuthConstants.RequestAuth, AAuthConstants.RequestRefresh, AAuthConstants.RequestExchange),
                ["signing_algs_values_supported"] = new JsonArray([.. SigningAlgorithms.Select(a => (JsonNode)a)]),
                ["signature_key_schemes_supported"] = new JsonArray("jwt", "hwk"),
                ["signature_carriers_supported"] = new JsonArray("Signature-Input", "Agent-Auth"),
                ["signature_window"] = (long)aauth.CurrentValue.SignatureMaxAge.TotalSeconds,
                ["token_types_issued"] = new JsonArray(AAuthConstants.AgentTokenType, AAuthConstants.AuthTokenType, AAuthConstants.RefreshTokenType),
                // What agents can hold: never the user-facing (openid, offline_access) or server-internal scopes.
                ["scopes_supported"] = new JsonArray([.. server.CurrentValue.Scopes.Where(s => !LumoAuth.Agents.AgentCapabilities.Reserved.Contains(s))
                    .Order(StringComparer.Ordinal).Select(s => (JsonNode)s)]),
                ["resources"] = new JsonArray([.. aauth.CurrentValue.Resources.Select(r => (JsonNode)r.Identifier!.AbsoluteUri)]),
            };
            return Results.Text(document.ToJsonString(), "application/json");
        }).ExcludeFromDescription();
        return endpoints;
    }
}
