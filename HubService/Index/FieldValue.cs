namespace MqttIoT.Hub.Index;

/// <summary>What a field of a record holds, in the order values sort: null, booleans, numbers, strings, times, then containers.</summary>
internal enum FieldKind : byte
{
    Null,
    False,
    True,
    Number,
    String,
    /// <summary>A time (firstSeen, lastSeen, notified at): <see cref="FieldValue.Number"/> holds UTC ticks.</summary>
    Time,
    /// <summary>An object: present (for <c>$exists</c>), its members are fields of their own.</summary>
    Object,
    /// <summary>An empty array: present, with no element.</summary>
    EmptyArray,
}

/// <summary>One scalar of a record, as filters and sorts see it. Small and flat, so 100,000 records stay cheap to scan.</summary>
internal readonly record struct FieldValue(FieldKind Kind, double Number, string? Text)
{
    public static readonly FieldValue Null = new(FieldKind.Null, 0, null);
    public static readonly FieldValue Object = new(FieldKind.Object, 0, null);
    public static readonly FieldValue EmptyArray = new(FieldKind.EmptyArray, 0, null);

    public static FieldValue Of(string text) => new(FieldKind.String, 0, text);
    public static FieldValue Of(double number) => new(FieldKind.Number, number, null);
    public static FieldValue Of(bool flag) => new(flag ? FieldKind.True : FieldKind.False, 0, null);
    public static FieldValue Of(DateTimeOffset time) => new(FieldKind.Time, time.UtcTicks, null);

    /// <summary>Whether two values can be ordered against each other ($gt and friends compare like with like).</summary>
    public static bool Comparable(in FieldValue a, in FieldValue b) => Rank(a.Kind) == Rank(b.Kind) && Rank(a.Kind) is >= 2 and <= 4;

    /// <summary>The total order of sorting: kinds first, then values; strings by ordinal.</summary>
    public static int Compare(in FieldValue a, in FieldValue b)
    {
        var byKind = Rank(a.Kind).CompareTo(Rank(b.Kind));
        if (byKind != 0) return byKind;
        return a.Kind switch
        {
            FieldKind.False or FieldKind.True => a.Kind.CompareTo(b.Kind),
            FieldKind.Number or FieldKind.Time => a.Number.CompareTo(b.Number),
            FieldKind.String => string.CompareOrdinal(a.Text, b.Text),
            _ => 0,
        };
    }

    /// <summary>
    /// The values <paramref name="value"/> is <see cref="Comparable"/> with, as an interval of the sort order (they sort
    /// together: one kind, or one rank); null when it compares with nothing.
    /// </summary>
    public static ValueInterval? ComparableWith(in FieldValue value) => Rank(value.Kind) switch
    {
        2 => new(ValueBound.Before(Of(double.NegativeInfinity)), ValueBound.Before(Of(""))),
        3 => new(ValueBound.Before(Of("")), ValueBound.Before(new(FieldKind.Time, double.NegativeInfinity, null))),
        4 => new(ValueBound.Before(new(FieldKind.Time, double.NegativeInfinity, null)), ValueBound.Before(Object)),
        _ => null,
    };

    private static int Rank(FieldKind kind) => kind switch
    {
        FieldKind.Null => 0,
        FieldKind.False or FieldKind.True => 1,
        FieldKind.Number => 2,
        FieldKind.String => 3,
        FieldKind.Time => 4,
        _ => 5,
    };
}
