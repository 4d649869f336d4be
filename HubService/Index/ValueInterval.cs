namespace MqttIoT.Hub.Index;

/// <summary>A position in the sort order of values (<see cref="FieldValue.Compare"/>): just before every value equal to <see cref="Value"/>, or just after.</summary>
internal readonly record struct ValueBound(FieldValue Value, bool After)
{
    public static ValueBound Before(FieldValue value) => new(value, false);

    public static ValueBound Past(FieldValue value) => new(value, true);

    public static int Compare(in ValueBound a, in ValueBound b)
    {
        var c = FieldValue.Compare(a.Value, b.Value);
        return c != 0 ? c : a.After.CompareTo(b.After);
    }

    /// <summary>Whether <paramref name="value"/> sorts before this position.</summary>
    public bool IsAbove(in FieldValue value)
    {
        var c = FieldValue.Compare(value, Value);
        return c < 0 || (c == 0 && After);
    }
}

/// <summary>The values from <see cref="Low"/> up to <see cref="High"/>, positions in the sort order; empty unless High is past Low.</summary>
internal readonly record struct ValueInterval(ValueBound Low, ValueBound High)
{
    public bool IsEmpty => ValueBound.Compare(High, Low) <= 0;

    /// <summary>Every value equal (in the sort order) to <paramref name="value"/>.</summary>
    public static ValueInterval Point(FieldValue value) => new(ValueBound.Before(value), ValueBound.Past(value));

    /// <summary>
    /// Sorted, disjoint, non-empty intervals covering what <paramref name="intervals"/> cover: the form
    /// <see cref="Intersect"/> and the field indexes take.
    /// </summary>
    public static ValueInterval[] Normalize(IEnumerable<ValueInterval> intervals)
    {
        var sorted = intervals.Where(i => !i.IsEmpty).ToList();
        sorted.Sort(static (a, b) => ValueBound.Compare(a.Low, b.Low));
        var merged = new List<ValueInterval>(sorted.Count);
        foreach (var i in sorted)
        {
            if (merged.Count > 0 && ValueBound.Compare(i.Low, merged[^1].High) <= 0)
            {
                var last = merged[^1];
                if (ValueBound.Compare(i.High, last.High) > 0) merged[^1] = last with { High = i.High };
            }
            else merged.Add(i);
        }
        return [.. merged];
    }

    /// <summary>What two normalized interval sets both cover, normalized.</summary>
    public static ValueInterval[] Intersect(ValueInterval[] a, ValueInterval[] b)
    {
        var result = new List<ValueInterval>();
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            var low = ValueBound.Compare(a[i].Low, b[j].Low) >= 0 ? a[i].Low : b[j].Low;
            var highA = ValueBound.Compare(a[i].High, b[j].High) <= 0;
            var high = highA ? a[i].High : b[j].High;
            var both = new ValueInterval(low, high);
            if (!both.IsEmpty) result.Add(both);
            if (highA) i++; else j++;
        }
        return [.. result];
    }
}
