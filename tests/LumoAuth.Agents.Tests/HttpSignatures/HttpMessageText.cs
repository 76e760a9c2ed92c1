using System.Text;
using LumoAuth.Agents.HttpSignatures.Signatures;

namespace LumoAuth.Agents.Tests.HttpSignatures;

/// <summary>Reads an HTTP/1.1 message as printed in an RFC (LF line ends) into an <see cref="HttpMessage"/> and its body.</summary>
internal static class HttpMessageText
{
    public static (HttpMessage Message, byte[] Body) Parse(string text, string scheme = "https", HttpMessage? request = null)
    {
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var body = split < 0 ? [] : Encoding.UTF8.GetBytes(text[(split + 2)..]);
        var lines = head.Split('\n');
        var headers = lines.Skip(1).Select(line =>
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            return new KeyValuePair<string, string>(line[..colon], line[(colon + 1)..].Trim(' ', '\t'));
        }).ToList();
        var start = lines[0].Split(' ');
        if (start[0].StartsWith("HTTP/", StringComparison.Ordinal))
        {
            return (HttpMessage.ForResponse(int.Parse(start[1], System.Globalization.CultureInfo.InvariantCulture), headers, request), body);
        }

        var host = headers.First(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)).Value;
        return (HttpMessage.ForRequest(start[0], new Uri($"{scheme}://{host}{start[1]}"), headers), body);
    }
}
