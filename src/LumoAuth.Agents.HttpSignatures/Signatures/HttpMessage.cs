namespace LumoAuth.Agents.HttpSignatures.Signatures;

/// <summary>
/// The parts of an HTTP request a signature can cover, independent of any server framework: the method, the full
/// target URI as the server reconstructs it (behind a TLS-terminating proxy, from configuration, never from
/// client-supplied forwarding headers), and the header fields in the order received (names may repeat).
/// </summary>
/// <param name="Method">The request method, as sent (e.g. <c>POST</c>).</param>
/// <param name="TargetUri">The absolute target URI.</param>
/// <param name="Headers">The header fields, in order.</param>
public sealed record HttpMessage(string Method, Uri TargetUri, IReadOnlyList<KeyValuePair<string, string>> Headers);
