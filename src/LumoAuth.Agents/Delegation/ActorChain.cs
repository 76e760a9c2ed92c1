using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LumoAuth.Agents.Delegation;

/// <summary>
/// The actors of a delegated token, current actor first. On the wire (RFC 8693 section 4.1) the outermost <c>act</c>
/// is the current actor and each nested <c>act</c> the one before it, so Alice → Research Bot → Search Tool is
/// <c>{"sub":"user:alice","act":{"sub":"agent:search-tool","act":{"sub":"agent:research-bot"}}}</c>.
/// Parsing is bounded: size and depth are checked before anything is trusted.
/// </summary>
public sealed class ActorChain : IReadOnlyList<Actor>
{
    /// <summary>The deepest chain that is ever parsed; deeper input is malformed whatever the policy allows.</summary>
    public const int MaxParseDepth = 10;

    /// <summary>The largest <c>act</c> claim, in UTF-16 characters, that is ever parsed.</summary>
    public const int MaxClaimLength = 8192;

    private static readonly HashSet<string> ForbiddenMembers = new(StringComparer.Ordinal) { "exp", "nbf", "iat", "aud", "may_act" };

    private readonly Actor[] _actors;

    /// <summary>A token with no actor: the subject acts for itself.</summary>
    public static ActorChain Empty { get; } = new([]);

    /// <summary>Creates a chain from actors ordered current first.</summary>
    public ActorChain(IEnumerable<Actor> actorsCurrentFirst)
    {
        ArgumentNullException.ThrowIfNull(actorsCurrentFirst);
        _actors = actorsCurrentFirst.ToArray();
    }

    /// <summary>The number of actors.</summary>
    public int Depth => _actors.Length;

    /// <inheritdoc />
    public int Count => _actors.Length;

    /// <inheritdoc />
    public Actor this[int index] => _actors[index];

    /// <summary>The actor making the current call (the outermost <c>act</c>), or <see langword="null"/>.</summary>
    public Actor? Current => _actors.Length == 0 ? null : _actors[0];

    /// <summary>The first actor, the one the subject delegated to directly, or <see langword="null"/>.</summary>
    public Actor? Origin => _actors.Length == 0 ? null : _actors[^1];

    /// <summary>True when an actor with <paramref name="subject"/> is anywhere in the chain.</summary>
    public bool Contains(string subject) => _actors.Any(a => string.Equals(a.Subject, subject, StringComparison.Ordinal));

    /// <summary>A new chain in which <paramref name="actor"/> is the current actor and this chain the prior ones.</summary>
    public ActorChain Push(Actor actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return new ActorChain([actor, .. _actors]);
    }

    /// <summary>The nested <c>act</c> object, or <see langword="null"/> for the empty chain.</summary>
    public JsonObject? ToJson()
    {
        JsonObject? inner = null;
        for (var i = _actors.Length - 1; i >= 0; i--)
        {
            var node = new JsonObject { ["sub"] = _actors[i].Subject };
            if (_actors[i].ClientId is { } clientId)
            {
                node["client_id"] = clientId;
            }

            if (_actors[i].Issuer is { } issuer)
            {
                node["iss"] = issuer;
            }

            if (inner is not null)
            {
                node["act"] = inner;
            }

            inner = node;
        }

        return inner;
    }

    /// <summary>The <c>act</c> claim as compact JSON, or <see langword="null"/> for the empty chain.</summary>
    public string? ToJsonString() => ToJson()?.ToJsonString();

    /// <summary>
    /// Parses an <c>act</c> claim. Null or empty input is the empty chain. Fails on input that is not a
    /// JSON object, lacks a string <c>sub</c>, carries <c>exp</c>/<c>nbf</c>/<c>iat</c>/<c>aud</c>/<c>may_act</c>
    /// inside an actor, is longer than <see cref="MaxClaimLength"/> or deeper than <see cref="MaxParseDepth"/>.
    /// </summary>
    public static bool TryParse(string? json, out ActorChain chain, out string? error)
    {
        chain = Empty;
        error = null;
        if (string.IsNullOrEmpty(json))
        {
            return true;
        }

        if (json.Length > MaxClaimLength)
        {
            error = $"The act claim is longer than {MaxClaimLength} characters.";
            return false;
        }

        JsonDocument document;
        try
        {
            // JSON nesting is two levels per actor; the reader's own limit stops pathological input early.
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = (MaxParseDepth * 2) + 2 });
        }
        catch (JsonException)
        {
            error = "The act claim is not valid JSON or is nested too deeply.";
            return false;
        }

        using (document)
        {
            var actors = new List<Actor>();
            var current = document.RootElement;
            while (true)
            {
                if (!TryReadActor(current, out var actor, out error))
                {
                    return false;
                }

                actors.Add(actor);
                if (actors.Count > MaxParseDepth)
                {
                    error = $"The act claim nests more than {MaxParseDepth} actors.";
                    return false;
                }

                if (!current.TryGetProperty("act", out var next))
                {
                    break;
                }

                current = next;
            }

            chain = new ActorChain(actors);
            return true;
        }
    }

    /// <summary>Parses a single actor object such as <c>may_act</c> (no nesting allowed).</summary>
    public static bool TryParseActor(string? json, out Actor? actor, out string? error)
    {
        actor = null;
        error = null;
        if (string.IsNullOrEmpty(json))
        {
            return true;
        }

        if (json.Length > MaxClaimLength)
        {
            error = $"The claim is longer than {MaxClaimLength} characters.";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("act", out _))
            {
                error = "A may_act claim cannot nest actors.";
                return false;
            }

            var ok = TryReadActor(document.RootElement, out var parsed, out error);
            actor = ok ? parsed : null;
            return ok;
        }
        catch (JsonException)
        {
            error = "The claim is not valid JSON.";
            return false;
        }
    }

    /// <summary>
    /// The chain in words, current actor first: "Search Tool, used by Research Bot, acting for Alice".
    /// <paramref name="nameOf"/> maps a subject identifier to a display name (or <see langword="null"/> to keep the identifier).
    /// </summary>
    public string Describe(string subject, Func<string, string?> nameOf)
    {
        ArgumentNullException.ThrowIfNull(nameOf);
        var subjectName = nameOf(subject) ?? subject;
        if (_actors.Length == 0)
        {
            return subjectName;
        }

        var parts = _actors.Select(a => nameOf(a.Subject) ?? a.Subject).ToArray();
        return string.Join(", used by ", parts) + ", acting for " + subjectName;
    }

    /// <inheritdoc />
    public IEnumerator<Actor> GetEnumerator() => ((IEnumerable<Actor>)_actors).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static bool TryReadActor(JsonElement element, out Actor actor, out string? error)
    {
        actor = null!;
        error = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = "An actor must be a JSON object.";
            return false;
        }

        string? subject = null, clientId = null, issuer = null;
        foreach (var property in element.EnumerateObject())
        {
            if (ForbiddenMembers.Contains(property.Name))
            {
                error = $"An actor may not carry '{property.Name}' (RFC 8693 section 4.1).";
                return false;
            }

            switch (property.Name)
            {
                case "sub":
                    subject = ReadString(property.Value);
                    break;
                case "client_id":
                    clientId = ReadString(property.Value);
                    if (clientId is null)
                    {
                        error = "An actor's client_id must be a string.";
                        return false;
                    }

                    break;
                case "iss":
                    issuer = ReadString(property.Value);
                    if (issuer is null)
                    {
                        error = "An actor's iss must be a string.";
                        return false;
                    }

                    break;
                default:
                    break;
            }
        }

        if (string.IsNullOrEmpty(subject))
        {
            error = "An actor must have a non-empty string 'sub'.";
            return false;
        }

        actor = new Actor(subject, clientId, issuer);
        return true;
    }

    private static string? ReadString(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
