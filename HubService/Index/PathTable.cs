using System.Collections.Concurrent;

namespace MqttIoT.Hub.Index;

/// <summary>
/// Interns the dotted paths of props (<c>attributes.model</c>) as small integers, so a record stores ints instead of
/// strings and a compiled filter looks a field up by number. Written by the ingest loop, read by queries.
/// </summary>
internal sealed class PathTable
{
    // Past this many shapes (props of arbitrary shapes), new ones are not interned: they work the same, unshared.
    private const int MaxShapes = 4096;

    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<FieldShape, FieldShape> _shapes = new();
    private int _next;

    public int Count => _ids.Count;

    public int GetOrAdd(string path) => _ids.TryGetValue(path, out var id) ? id : _ids.GetOrAdd(path, _ => Interlocked.Increment(ref _next));

    /// <summary>The id of a path some record has had; false when no record ever had it (so no record matches it).</summary>
    public bool TryGet(string path, out int id) => _ids.TryGetValue(path, out id);

    /// <summary>The interned shape of these sorted path ids.</summary>
    public FieldShape Shape(int[] paths)
    {
        var shape = new FieldShape(paths);
        if (_shapes.TryGetValue(shape, out var known)) return known;
        return _shapes.Count < MaxShapes ? _shapes.GetOrAdd(shape, shape) : shape;
    }
}
