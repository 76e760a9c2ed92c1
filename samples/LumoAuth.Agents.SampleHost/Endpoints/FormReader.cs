namespace LumoAuth.Agents.SampleHost.Endpoints;

/// <summary>Reads a posted form, or says it could not: over the limits (more than 1,024 fields by default), holding a NUL character, or not a form at all.</summary>
internal static class FormReader
{
    /// <summary>The form, or <see langword="null"/> when the body is not a form the host accepts.</summary>
    public static async Task<IFormCollection?> TryReadAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType)
        {
            return null;
        }

        try
        {
            return await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return null; // a form over the value-count, key-length or value-length limits, or with a NUL character
        }
        catch (BadHttpRequestException)
        {
            return null; // a body over the size limit or cut short
        }
    }
}
