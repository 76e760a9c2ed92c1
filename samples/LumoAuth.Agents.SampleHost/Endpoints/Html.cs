using System.Text.Encodings.Web;

namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>The sample's few pages, as plain HTML: enough to log in, to grant or withdraw consent, and to look at agents and the audit trail.</summary>
internal static class Html
{
    /// <summary>The rules every page of the sample shares, the Razor admin pages' layout included.</summary>
    public const string Styles = """
        body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}
        input,button{font-size:1rem;padding:.4rem;margin:.2rem 0} code{background:#eee;padding:0 .2rem}
        """;

    /// <summary>What follows each page's title in the browser's tab.</summary>
    public const string TitleSuffix = " · LumoAuth.Agents sample";

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? string.Empty);

    /// <summary>A whole page.</summary>
    public static IResult Page(string title, string body, int statusCode = 200) => Results.Content(
        $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Encode(title)}}{{TitleSuffix}}</title>
        <style>{{Styles}}</style></head>
        <body><h1>{{Encode(title)}}</h1>{{body}}</body></html>
        """, "text/html; charset=utf-8", statusCode: statusCode);

    public static string Hidden(string name, string? value) =>
        $"<input type=\"hidden\" name=\"{Encode(name)}\" value=\"{Encode(value)}\">";
}
