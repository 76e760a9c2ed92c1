using System.Collections;

namespace LumoAuth.Agents.Scopes;

/// <summary>
/// An immutable, ordered set of OAuth scope tokens (RFC 6749 §3.3), compared ordinally.
/// Every narrowing the delegation policy does is an intersection of these sets.
/// </summary>
public sealed class ScopeSet : IReadOnlyCollection<string>, IEquatable<ScopeSet>
{
    private readonly SortedSet<string> _scopes;

    /// <summary>The empty set.</summary>
    public static ScopeSet Empty { get; } = new(Array.Empty<string>());

    /// <summary>Creates a set from scope tokens; blank entries are ignored.</summary>
    public ScopeSet(IEnumerable<string> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        _scopes = new SortedSet<string>(scopes.Where(s => !string.IsNullOrWhiteSpace(s)), StringComparer.Ordinal);
    }

    /// <summary>Parses a space-delimited scope string; <see langword="null"/> or blank gives the empty set.</summary>
    public static ScopeSet Parse(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? Empty
            : new ScopeSet(value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>True when <paramref name="scope"/> is a syntactically valid scope token (RFC 6749 §3.3).</summary>
    public static bool IsValidToken(string? scope) =>
        !string.IsNullOrEmpty(scope) && scope.All(c => c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E));

    /// <inheritdoc />
    public int Count => _scopes.Count;

    /// <summary>True when the set holds <paramref name="scope"/>.</summary>
    public bool Contains(string scope) => _scopes.Contains(scope);

    /// <summary>The scopes present in both sets.</summary>
    public ScopeSet Intersect(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new ScopeSet(_scopes.Where(other.Contains));
    }

    /// <summary>The scopes of this set that <paramref name="other"/> lacks.</summary>
    public ScopeSet Except(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new ScopeSet(_scopes.Where(s => !other.Contains(s)));
    }

    /// <summary>The scopes of both sets.</summary>
    public ScopeSet Union(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new ScopeSet(_scopes.Concat(other));
    }

    /// <summary>True when every scope of this set is in <paramref name="other"/>.</summary>
    public bool IsSubsetOf(ScopeSet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _scopes.All(other.Contains);
    }

    /// <summary>The space-delimited form used on the wire.</summary>
    public override string ToString() => string.Join(' ', _scopes);

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator() => _scopes.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(ScopeSet? other) => other is not null && _scopes.SetEquals(other._scopes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ScopeSet);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());
}
