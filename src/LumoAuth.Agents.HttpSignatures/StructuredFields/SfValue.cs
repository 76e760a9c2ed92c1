using System.Globalization;
using System.Text;

namespace LumoAuth.Agents.HttpSignatures.StructuredFields;

/// <summary>An RFC 8941 bare item: string, token, integer, decimal, byte sequence or boolean.</summary>
public abstract record SfBareItem
{
    /// <summary>The item serialized as RFC 8941 §4.1 says.</summary>
    public abstract string Serialize();
}

/// <summary>An sf-string.</summary>
public sealed record SfString(string Value) : SfBareItem
{
    /// <inheritdoc />
    public override string Serialize() => "\"" + Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}

/// <summary>An sf-token.</summary>
public sealed record SfToken(string Value) : SfBareItem
{
    /// <inheritdoc />
    public override string Serialize() => Value;
}

/// <summary>An sf-integer (at most 15 digits).</summary>
public sealed record SfInteger(long Value) : SfBareItem
{
    /// <inheritdoc />
    public override string Serialize() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An sf-decimal (at most 12 integer and 3 fractional digits).</summary>
public sealed record SfDecimal(decimal Value) : SfBareItem
{
    /// <inheritdoc />
    public override string Serialize()
    {
        var text = Math.Round(Value, 3, MidpointRounding.ToEven).ToString("0.0##", CultureInfo.InvariantCulture);
        return text;
    }
}

/// <summary>An sf-binary byte sequence.</summary>
public sealed record SfBytes(byte[] Value) : SfBareItem
{
    /// <inheritdoc />
    public override string Serialize() => ":" + Convert.ToBase64String(Value) + ":";

    /// <inheritdoc />
    public bool Equals(SfBytes? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value);

    /// <inheritdoc />
    public override int GetHashCode() => Value.Length;
}

/// <summary>An sf-boolean.</summary>
public sealed record SfBoolean(bool Value) : SfBareItem
{
    /// <inheritdoc />
    public override string Serialize() => Value ? "?1" : "?0";
}

/// <summary>Parameters: an ordered map of keys to bare items (a boolean true when no value is given).</summary>
public sealed class SfParameters : List<KeyValuePair<string, SfBareItem>>
{
    /// <summary>The value of <paramref name="key"/>, or <see langword="null"/>.</summary>
    public SfBareItem? this[string key] => this.LastOrDefault(p => p.Key == key).Value;

    /// <summary>Serialized as RFC 8941 §4.1.1.2 says.</summary>
    public string Serialize()
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in this)
        {
            builder.Append(';').Append(key);
            if (value is not SfBoolean { Value: true })
            {
                builder.Append('=').Append(value.Serialize());
            }
        }

        return builder.ToString();
    }
}

/// <summary>A dictionary or list member: an item or an inner list, with parameters.</summary>
public abstract record SfMember(SfParameters Parameters)
{
    /// <summary>The member serialized.</summary>
    public abstract string Serialize();
}

/// <summary>An item with parameters.</summary>
public sealed record SfItem(SfBareItem Value, SfParameters Parameters) : SfMember(Parameters)
{
    /// <inheritdoc />
    public override string Serialize() => Value.Serialize() + Parameters.Serialize();
}

/// <summary>An inner list of items, with parameters.</summary>
public sealed record SfInnerList(IReadOnlyList<SfItem> Items, SfParameters Parameters) : SfMember(Parameters)
{
    /// <inheritdoc />
    public override string Serialize() => "(" + string.Join(' ', Items.Select(i => i.Serialize())) + ")" + Parameters.Serialize();
}
