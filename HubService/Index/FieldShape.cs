namespace MqttIoT.Hub.Index;

/// <summary>
/// The sorted path ids of a flattened props object, without its values. The devices of one backend share a shape,
/// so <see cref="PathTable"/> interns them: one array for 100,000 devices instead of one each, and a compiled filter
/// finds a path's position once per shape (<see cref="Filtering.FieldRef"/>) instead of searching every record.
/// </summary>
internal sealed class FieldShape : IEquatable<FieldShape>
{
    public static readonly FieldShape Empty = new([]);

    private readonly int[] _paths;
    private readonly int _hash;

    public FieldShape(int[] paths)
    {
        _paths = paths;
        var hash = new HashCode();
        foreach (var p in paths) hash.Add(p);
        _hash = hash.ToHashCode();
    }

    public int Length => _paths.Length;

    /// <summary>Where the values of <paramref name="pathId"/> sit in a record of this shape; a count of 0 when it has none.</summary>
    public (int First, int Count) Find(int pathId)
    {
        var lo = 0;
        var hi = _paths.Length - 1;
        var first = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_paths[mid] < pathId) lo = mid + 1;
            else { if (_paths[mid] == pathId) first = mid; hi = mid - 1; }
        }
        if (first < 0) return (0, 0);
        var end = first + 1;
        while (end < _paths.Length && _paths[end] == pathId) end++;
        return (first, end - first);
    }

    public bool Equals(FieldShape? other) => other is not null && (ReferenceEquals(this, other) || (_hash == other._hash && _paths.AsSpan().SequenceEqual(other._paths)));

    public override bool Equals(object? obj) => Equals(obj as FieldShape);

    public override int GetHashCode() => _hash;
}
