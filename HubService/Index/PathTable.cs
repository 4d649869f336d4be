using System.Collections.Concurrent;

namespace MqttIoT.Hub.Index;

/// <summary>
/// Interns the dotted paths of props (<c>attributes.model</c>) as small integers, so a record stores ints instead of
/// strings and a compiled filter looks a field up by number. Written by the ingest loop, read by queries.
/// </summary>
internal sealed class PathTable
{
    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private int _next;

    public int Count => _ids.Count;

    public int GetOrAdd(string path) => _ids.TryGetValue(path, out var id) ? id : _ids.GetOrAdd(path, _ => Interlocked.Increment(ref _next));

    /// <summary>The id of a path some record has had; false when no record ever had it (so no record matches it).</summary>
    public bool TryGet(string path, out int id) => _ids.TryGetValue(path, out id);
}
