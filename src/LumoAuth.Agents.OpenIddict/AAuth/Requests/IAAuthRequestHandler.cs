namespace LumoAuth.Agents.OpenIddict.AAuth.Requests;

/// <summary>Decides on one <c>request_type</c> of the AAuth token endpoint and mints what it grants.</summary>
internal interface IAAuthRequestHandler
{
    /// <summary>The <c>request_type</c> handled.</summary>
    string RequestType { get; }

    /// <summary>Decides on <paramref name="request"/>, whose signature and agent are already verified.</summary>
    ValueTask<AAuthOutcome> HandleAsync(AAuthRequest request, CancellationToken cancellationToken);
}
