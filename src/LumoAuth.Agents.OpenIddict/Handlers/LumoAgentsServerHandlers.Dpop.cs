using System.Collections.Immutable;
using System.Text.Json;
using LumoAuth.Agents.Configuration;
using LumoAuth.Agents.Dpop;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using Builtin = OpenIddict.Server.OpenIddictServerHandlers;

namespace LumoAuth.Agents.OpenIddict.Handlers;

public static partial class LumoAgentsServerHandlers
{
    /// <summary>
    /// DPoP (RFC 9449) at the token endpoint, on every grant: client credentials, workload login, delegation exchange, and
    /// the redemption of an authorization code or refresh token. A request with a valid proof gets an access token bound
    /// to the proof's key (<c>cnf.jkt</c>) and <c>token_type</c> <c>DPoP</c>; an exchange whose actor token is bound needs a
    /// proof by that key, and its token is bound to it too; an agent registered for sender-constrained tokens gets no token
    /// without a proof.
    /// Discovery names the accepted algorithms (<c>dpop_signing_alg_values_supported</c>).
    /// </summary>
    public static class Dpop
    {
        /// <summary>The handlers of this group.</summary>
        public static ImmutableArray<OpenIddictServerHandlerDescriptor> DefaultHandlers { get; } =
        [
            ValidateProof.Descriptor, BindAccessToken.Descriptor, AttachTokenType.Descriptor, AdvertiseAlgorithms.Descriptor,
        ];

        /// <summary>
        /// Checks the <c>DPoP</c> header of a token request (<see cref="DpopProofValidator"/>)
        /// against the token endpoint's address, and keeps the key's thumbprint for the token. Refusals are
        /// <c>invalid_dpop_proof</c> with <c>dpop_proof_invalid</c>, audited like every refusal of the pack.
        /// </summary>
        public sealed class ValidateProof : IOpenIddictServerHandler<ValidateTokenRequestContext>
        {
            private readonly DpopProofValidator _validator;
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;
            private readonly TimeProvider _time;

            /// <summary>Creates the handler.</summary>
            public ValidateProof(DpopProofValidator validator, IOptionsMonitor<LumoAgentsOptions> options, TimeProvider time)
            {
                _validator = validator;
                _options = options;
                _time = time;
            }

            /// <summary>The descriptor: once OpenIddict has validated the subject and actor tokens.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenRequestContext>()
                    .UseScopedHandler<ValidateProof>()
                    .SetOrder(Builtin.Exchange.ValidateAuthentication.Descriptor.Order + 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public async ValueTask HandleAsync(ValidateTokenRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (context.Transaction.GetHttpRequest() is not { } http)
                {
                    return;
                }

                var options = _options.CurrentValue;
                var actorKey = BoundKey(context.ActorTokenPrincipal);
                var proofs = http.Headers[LumoAgentsOpenIddictConstants.DpopHeader];
                if (proofs.Count == 0)
                {
                    if (actorKey is not null)
                    {
                        AgentRejection.RejectTokenRequest(context, new AgentError(AgentErrorCodes.DpopProofInvalid, DpopProofOutcome.InvalidProof,
                            "The actor token is bound to a key (cnf.jkt): the request needs a DPoP proof by that key."), options);
                    }

                    return;
                }

                var nonces = options.Dpop.Nonces(_time);
                var outcome = await _validator.ValidateAsync(new DpopProofRequest
                {
                    Proofs = [.. proofs.Select(p => p ?? string.Empty)],
                    Method = http.Method,
                    Uri = LumoAuth.Agents.Shared.DpopBinding.Target(http),
                    ExpectedThumbprint = actorKey,
                    NonceIsValid = nonces is null ? null : nonces.IsValid,
                }, options.Dpop, context.CancellationToken);

                // RFC 9449 §8.2: with nonces required, every answer hands out the current one.
                context.Transaction.GetAgentState().DpopNonce = nonces?.Current();
                if (outcome.Proof is null)
                {
                    var code = outcome.Error == DpopProofOutcome.UseNonce ? AgentErrorCodes.DpopNonceRequired : AgentErrorCodes.DpopProofInvalid;
                    AgentRejection.RejectTokenRequest(context, new AgentError(code, outcome.Error!, outcome.Description!), options);
                    return;
                }

                context.Transaction.GetAgentState().DpopThumbprint = outcome.Proof.Thumbprint;
            }

            /// <summary>The <c>cnf.jkt</c> a validated token is bound to, or null.</summary>
            internal static string? BoundKey(System.Security.Claims.ClaimsPrincipal? principal)
            {
                if (principal?.GetClaim(LumoAgentsOpenIddictConstants.ConfirmationClaim) is not { Length: > 0 } cnf)
                {
                    return null;
                }

                try
                {
                    using var document = JsonDocument.Parse(cnf);
                    return LumoAuth.Agents.Shared.DpopBinding.Thumbprint(document.RootElement);
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }

        /// <summary>
        /// RFC 9449 §6.1: the access token of a proven agent request is bound to the proof's key, <c>cnf: {"jkt": …}</c>.
        /// Added once OpenIddict has prepared the access token's principal, which it builds without a <c>cnf</c> of its own.
        /// </summary>
        public sealed class BindAccessToken : IOpenIddictServerHandler<ProcessSignInContext>
        {
            /// <summary>The descriptor: after OpenIddict prepares the access and issued token principals, before they are signed.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
                    .UseSingletonHandler<BindAccessToken>()
                    .SetOrder(Math.Max(Builtin.PrepareAccessTokenPrincipal.Descriptor.Order, Builtin.PrepareIssuedTokenPrincipal.Descriptor.Order) + 500)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ProcessSignInContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                if (AgentTokenRequestState.Find(context.Transaction) is not { DpopThumbprint: { } thumbprint } state || state.Decision?.Error is not null)
                {
                    return default;
                }

                // A token exchange answers with the issued token (RFC 8693 §2.2.1), every other grant with the access token.
                foreach (var principal in new[] { context.AccessTokenPrincipal, context.IssuedTokenPrincipal })
                {
                    if (principal?.Identity is System.Security.Claims.ClaimsIdentity identity)
                    {
                        identity.SetClaim(LumoAgentsOpenIddictConstants.ConfirmationClaim, new System.Text.Json.Nodes.JsonObject { ["jkt"] = thumbprint });
                    }
                }

                return default;
            }
        }

        /// <summary>
        /// The token response of a DPoP-bound agent token says <c>token_type: DPoP</c> (RFC 9449 §5); with nonces required,
        /// the response carries the current one in <c>DPoP-Nonce</c> (§8.2).
        /// </summary>
        public sealed class AttachTokenType : IOpenIddictServerHandler<ApplyTokenResponseContext>
        {
            /// <summary>The descriptor: before the response is written.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
                    .UseSingletonHandler<AttachTokenType>()
                    .SetOrder(int.MinValue + 100_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(ApplyTokenResponseContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                var state = AgentTokenRequestState.Find(context.Transaction);
                if (state is { DpopThumbprint: not null } && state.Decision?.Error is null && context.Response.AccessToken is not null)
                {
                    context.Response.TokenType = LumoAgentsOpenIddictConstants.DpopTokenType;
                }

                if (state?.DpopNonce is { } nonce && context.Transaction.GetHttpRequest()?.HttpContext.Response is { } response)
                {
                    response.Headers["DPoP-Nonce"] = nonce;
                    response.Headers.CacheControl = "no-store";
                }

                return default;
            }
        }

        /// <summary>Discovery names the algorithms DPoP proofs may use (RFC 9449 §5.1).</summary>
        public sealed class AdvertiseAlgorithms : IOpenIddictServerHandler<HandleConfigurationRequestContext>
        {
            private readonly IOptionsMonitor<LumoAgentsOptions> _options;

            /// <summary>Creates the handler.</summary>
            public AdvertiseAlgorithms(IOptionsMonitor<LumoAgentsOptions> options) => _options = options;

            /// <summary>The descriptor.</summary>
            public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
                OpenIddictServerHandlerDescriptor.CreateBuilder<HandleConfigurationRequestContext>()
                    .UseSingletonHandler<AdvertiseAlgorithms>()
                    .SetOrder(int.MaxValue - 100_000)
                    .SetType(OpenIddictServerHandlerType.Custom)
                    .Build();

            /// <inheritdoc />
            public ValueTask HandleAsync(HandleConfigurationRequestContext context)
            {
                ArgumentNullException.ThrowIfNull(context);
                context.Metadata["dpop_signing_alg_values_supported"] = JsonSerializer.SerializeToElement(_options.CurrentValue.Dpop.Algorithms);
                return default;
            }
        }
    }
}
