namespace MqttIoT.Hub.Index;

/// <summary>
/// The field indexes of one table, by props path id: created when a FIND first filters on a path (by
/// <see cref="Ensure"/>, under the write lock), kept by <see cref="EntityTable"/> on every insert, change and removal
/// afterwards. At most <see cref="MaxIndexes"/>: past that, making one drops the least recently used. A table smaller
/// than <see cref="MinRecords"/> gets none: a scan of it costs less than keeping them.
/// </summary>
internal sealed class FieldIndexSet
{
    /// <summary>Each index costs about 40 bytes per value it holds: 16 over 100,000 single-valued records are under 100 MB.</summary>
    public const int DefaultMaxIndexes = 16;
    public const int DefaultMinRecords = 1_000;
    // A query makes at most this many at once (a filter of 64 paths does not rebuild the whole set).
    private const int MaxNewPerQuery = 4;

    private readonly Dictionary<int, FieldIndex> _byPath = [];
    private long _clock;
    private long _plans;

    public int MaxIndexes { get; set; } = DefaultMaxIndexes;

    public int MinRecords { get; set; } = DefaultMinRecords;

    public int Count => _byPath.Count;

    /// <summary>How many FINDs ran over an index's candidates instead of the whole table.</summary>
    public long Plans => Interlocked.Read(ref _plans);

    /// <summary>The paths indexed now (tests and diagnostics).</summary>
    public IReadOnlyCollection<int> Paths => _byPath.Keys;

    /// <summary>The index of <paramref name="pathId"/>, marked as used (safe under the read lock).</summary>
    public bool TryGet(int pathId, out FieldIndex index)
    {
        if (!_byPath.TryGetValue(pathId, out index!)) return false;
        index.LastUsed = Interlocked.Increment(ref _clock);
        return true;
    }

    public void CountPlan() => Interlocked.Increment(ref _plans);

    /// <summary>Whether <see cref="Ensure"/> would make any (checked under the read lock, so the write lock is taken only when it would).</summary>
    public bool Lacks(IEnumerable<int> pathIds, int records) =>
        records >= MinRecords && MaxIndexes > 0 && pathIds.Any(p => !_byPath.ContainsKey(p));

    /// <summary>Makes the missing indexes of <paramref name="pathIds"/> (in the order given, a few at a time). Under the write lock.</summary>
    public void Ensure(IReadOnlyList<int> pathIds, IReadOnlyCollection<IndexRecord> records)
    {
        if (records.Count < MinRecords || MaxIndexes <= 0) return;
        // The query's own paths are the most recent: none of them is evicted for another.
        foreach (var p in pathIds)
            if (_byPath.TryGetValue(p, out var held)) held.LastUsed = Interlocked.Increment(ref _clock);
        var made = 0;
        foreach (var p in pathIds.Distinct())
        {
            if (_byPath.ContainsKey(p)) continue;
            if (made == MaxNewPerQuery) break;
            if (_byPath.Count >= MaxIndexes)
            {
                var victim = _byPath.Values.MinBy(i => i.LastUsed)!;
                _byPath.Remove(victim.PathId);
            }
            var index = FieldIndex.Build(p, records);
            index.LastUsed = Interlocked.Increment(ref _clock);
            _byPath[p] = index;
            made++;
        }
    }

    // Maintenance, from EntityTable under the write lock.

    public void Added(IndexRecord record)
    {
        foreach (var index in _byPath.Values) index.Add(record);
    }

    public void Replaced(IndexRecord old, IndexRecord record)
    {
        if (ReferenceEquals(old.Fields, record.Fields)) return;
        foreach (var index in _byPath.Values)
        {
            if (index.SameValues(old, record)) continue;
            index.Remove(old);
            index.Add(record);
        }
    }

    public void Removed(IndexRecord old)
    {
        foreach (var index in _byPath.Values) index.Remove(old);
    }
}
