namespace LumoAuth.Agents.OpenIddict.Approvals;

/// <summary>Where the backchannel authentication endpoint was mapped, for discovery.</summary>
internal sealed class BackchannelEndpointState
{
    public string? Path { get; set; }
}
