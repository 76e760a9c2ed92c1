using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using LumoAuth.Agents.Errors;
using Microsoft.AspNetCore.Http;

namespace LumoAuth.Agents.OpenIddict.Endpoints;

/// <summary>
/// Reads a JSON body by hand: <c>application/json</c> only (415), at most <see cref="LumoAgentsApiOptions.MaxJsonBodyBytes"/>
/// (413), well-formed and not too deep (400 <c>body_malformed</c>), no repeated member, no member the request type does
/// not declare (400 <c>fields_not_allowed</c>, each named), every member of the declared JSON type and no control
/// characters in any string (400 with the endpoint's own code, each field named by its JSON path). Nothing here
/// throws for bad input, so the host's exception handling is never involved.
/// </summary>
internal static class ApiJsonBody
{
    private const int MaxDepth = 32;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.Strict,
        PropertyNameCaseInsensitive = false,
    };

    /// <summary>Reads the body as <typeparamref name="T"/> within the limits of the API the request was routed to.</summary>
    public static async Task<(T? Value, ApiRefusal? Refusal)> ReadAsync<T>(HttpContext http, string invalidCode, string invalidTitle,
        IReadOnlyDictionary<string, string>? notWritable = null, bool allowUnknownFields = false)
        where T : class
    {
        var limits = http.GetEndpoint()?.Metadata.GetMetadata<ApiCallerGuard>()?.Options ?? new LumoAgentsApiOptions();
        var request = http.Request;
        if (!request.HasJsonContentType())
        {
            return (null, new ApiRefusal(StatusCodes.Status415UnsupportedMediaType, AgentErrorCodes.ContentTypeUnsupported, "Unsupported content type",
                $"Send the body as application/json (got {(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : "'" + ApiQuery.Printable(request.ContentType) + "'")})."));
        }

        var tooLarge = new ApiRefusal(StatusCodes.Status413PayloadTooLarge, AgentErrorCodes.BodyTooLarge, "Body too large",
            $"The JSON body must be at most {limits.MaxJsonBodyBytes} bytes.");
        if (request.ContentLength > limits.MaxJsonBodyBytes)
        {
            return (null, tooLarge);
        }

        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limits.MaxJsonBodyBytes)
                {
                    return (null, tooLarge);
                }

                buffer.Write(chunk, 0, read);
            }

            bytes = buffer.ToArray();
        }
        catch (BadHttpRequestException exception)
        {
            return (null, exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? tooLarge
                : new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.BodyMalformed, "Malformed body", "The request body could not be read."));
        }

        if (bytes.Length == 0)
        {
            return (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.BodyMalformed, "Malformed body", "A JSON body is required."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException exception)
        {
            // The exception's message may name .NET types; say where instead.
            var where = exception.LineNumber is { } line ? $" (line {line + 1}, byte {exception.BytePositionInLine + 1})" : string.Empty;
            return (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.BodyMalformed, "Malformed body",
                $"The body is not well-formed JSON{where}, or is nested more than {MaxDepth} levels deep."));
        }

        using (document)
        {
            var check = new Check(allowUnknownFields, notWritable);
            check.Value(document.RootElement, typeof(T), string.Empty, nullable: false);
            if (check.Malformed.Count > 0)
            {
                return (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.BodyMalformed, "Malformed body",
                    "The body repeats a member or is not the JSON the endpoint takes.", Merge(check)));
            }

            if (check.NotAllowed.Count > 0)
            {
                return (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.FieldsNotAllowed, "Fields not allowed",
                    $"These fields cannot be set here: {string.Join(", ", check.NotAllowed.Keys)}. Nothing was changed.", Merge(check)));
            }

            if (check.Invalid.Count > 0)
            {
                return (null, new ApiRefusal(StatusCodes.Status400BadRequest, invalidCode, invalidTitle,
                    $"These fields are not valid: {string.Join(", ", check.Invalid.Keys)}.", check.Invalid));
            }

            try
            {
                return (document.RootElement.Deserialize<T>(Options), null);
            }
            catch (JsonException)
            {
                return (null, new ApiRefusal(StatusCodes.Status400BadRequest, AgentErrorCodes.BodyMalformed, "Malformed body", "The body is not the JSON the endpoint takes."));
            }
        }
    }

    private static Dictionary<string, string[]> Merge(Check check)
    {
        var all = new Dictionary<string, string[]>(check.Invalid, StringComparer.Ordinal);
        foreach (var (key, value) in check.NotAllowed.Concat(check.Malformed))
        {
            all[key] = value;
        }

        return all;
    }

    private sealed class Check(bool allowUnknownFields, IReadOnlyDictionary<string, string>? notWritable)
    {
        public Dictionary<string, string[]> Malformed { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string[]> NotAllowed { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string[]> Invalid { get; } = new(StringComparer.Ordinal);

        public void Value(JsonElement element, Type type, string path, bool nullable)
        {
            var underlying = Nullable.GetUnderlyingType(type);
            if (element.ValueKind == JsonValueKind.Null)
            {
                if (!nullable || (type.IsValueType && underlying is null))
                {
                    Invalid[Key(path)] = [$"'{Key(path)}' must not be null."];
                }

                return;
            }

            type = underlying ?? type;
            if (type == typeof(JsonElement))
            {
                return;
            }

            if (type == typeof(string) || type == typeof(Uri))
            {
                if (element.ValueKind != JsonValueKind.String)
                {
                    Invalid[Key(path)] = [$"'{Key(path)}' must be a string."];
                }
                else if (ApiQuery.HasControlCharacters(element.GetString()!))
                {
                    Invalid[Key(path)] = [$"'{Key(path)}' must not contain control characters."];
                }

                return;
            }

            if (type == typeof(bool))
            {
                Expect(element.ValueKind is JsonValueKind.True or JsonValueKind.False, path, "true or false");
                return;
            }

            if (type == typeof(int))
            {
                Expect(element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out _), path, "a whole number");
                return;
            }

            if (type == typeof(long))
            {
                Expect(element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out _), path, "a whole number");
                return;
            }

            if (type == typeof(decimal))
            {
                Expect(element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out _), path, "a number");
                return;
            }

            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                if (!Expect(element.ValueKind == JsonValueKind.Object, path, "an object"))
                {
                    return;
                }

                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    var memberPath = path + "." + Safe(member.Name);
                    if (!seen.Add(member.Name))
                    {
                        Malformed[Key(memberPath)] = [$"'{Key(memberPath)}' appears more than once."];
                    }
                    else if (ApiQuery.HasControlCharacters(member.Name))
                    {
                        Invalid[Key(memberPath)] = [$"The names in '{Key(path)}' must not contain control characters."];
                    }
                    else
                    {
                        Value(member.Value, type.GetGenericArguments()[1], memberPath, nullable: false);
                    }
                }

                return;
            }

            if (ElementType(type) is { } item)
            {
                if (!Expect(element.ValueKind == JsonValueKind.Array, path, "an array"))
                {
                    return;
                }

                var i = 0;
                foreach (var entry in element.EnumerateArray())
                {
                    Value(entry, item, $"{path}[{i++}]", nullable: false);
                }

                return;
            }

            if (!Expect(element.ValueKind == JsonValueKind.Object, path, "an object"))
            {
                return;
            }

            var fields = Fields(type);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in element.EnumerateObject())
            {
                var memberPath = path.Length == 0 ? Safe(member.Name) : path + "." + Safe(member.Name);
                if (!names.Add(member.Name))
                {
                    Malformed[Key(memberPath)] = [$"'{Key(memberPath)}' appears more than once."];
                }
                else if (fields.TryGetValue(member.Name, out var property))
                {
                    Value(member.Value, property.PropertyType, memberPath, nullable: IsNullable(property));
                }
                else if (path.Length == 0 && notWritable is not null && notWritable.TryGetValue(member.Name, out var why))
                {
                    NotAllowed[Key(memberPath)] = [why];
                }
                else if (!allowUnknownFields || path.Length > 0)
                {
                    NotAllowed[Key(memberPath)] = [$"'{Key(memberPath)}' is not a field of this request."];
                }
            }
        }

        private bool Expect(bool ok, string path, string what)
        {
            if (!ok)
            {
                // The body itself of the wrong kind is malformed; a member of the wrong kind is a bad field.
                (path.Length == 0 ? Malformed : Invalid)[Key(path)] = [$"'{Key(path)}' must be {what}."];
            }

            return ok;
        }

        private static string Key(string path) => path.Length == 0 ? "body" : path;

        private static string Safe(string name) => ApiQuery.Printable(name);

        private static Type? ElementType(Type type)
        {
            if (type.IsArray)
            {
                return type.GetElementType();
            }

            return type.IsGenericType && type.GetGenericTypeDefinition() is var definition &&
                   (definition == typeof(IList<>) || definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IEnumerable<>))
                ? type.GetGenericArguments()[0]
                : null;
        }

        private static Dictionary<string, PropertyInfo> Fields(Type type) =>
            type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
                .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name, StringComparer.Ordinal);

        private static bool IsNullable(PropertyInfo property) =>
            Nullable.GetUnderlyingType(property.PropertyType) is not null ||
            (!property.PropertyType.IsValueType && new NullabilityInfoContext().Create(property).WriteState != NullabilityState.NotNull);
    }
}
