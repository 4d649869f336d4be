namespace MqttIoT.Hub.Index;

/// <summary>
/// A secondary index over one props path of one table: every (value, record key) pair of the records' scalar values
/// (strings, numbers, booleans: what equality, <c>$in</c> and the ranges can match) in the filter language's sort
/// order, then by key. Kept as a list of sorted blocks, so an insert or removal moves at most a block's entries, a
/// range is found by two binary searches and counted from the blocks' start positions without walking it. Written
/// under the index's write lock, read by any number of queries under its read lock.
/// </summary>
/// <remarks>
/// A record holding several distinct scalars under the path (an array) is also kept in <see cref="MultiValued"/>: a
/// record of one value matches two conditions on the path only if that value lies in both intervals, one of several
/// values may satisfy each condition with a different element, so such records are candidates of every combined range.
/// </remarks>
internal sealed class FieldIndex
{
    // 512 entries of 40 bytes: 20 KB, below the large object heap.
    private const int BlockCapacity = 512;
    private const int BuildFill = 384;

    private readonly List<Block> _blocks = [];
    // The position of each block's first entry among all entries (kept on every change: a few hundred ints).
    private readonly List<int> _starts = [];
    private readonly HashSet<RecordKey> _multi = [];
    private readonly List<FieldValue> _scratch = [];
    private long _lastUsed;

    private FieldIndex(int pathId) => PathId = pathId;

    public int PathId { get; }

    /// <summary>How many (value, record) entries it holds.</summary>
    public int Count { get; private set; }

    /// <summary>The records with more than one distinct scalar under the path.</summary>
    public IReadOnlySet<RecordKey> MultiValued => _multi;

    /// <summary>When a query last used it, on the owner's clock (least recently used goes first).</summary>
    public long LastUsed { get => Volatile.Read(ref _lastUsed); set => Volatile.Write(ref _lastUsed, value); }

    public static FieldIndex Build(int pathId, IEnumerable<IndexRecord> records)
    {
        var index = new FieldIndex(pathId);
        var all = new List<Entry>();
        foreach (var r in records)
        {
            var values = index.Scalars(r);
            foreach (var v in values) all.Add(new Entry(v, r.Key));
            if (values.Count > 1) index._multi.Add(r.Key);
        }
        all.Sort(static (a, b) => Entry.Compare(a, b));
        for (var start = 0; start < all.Count; start += BuildFill)
        {
            var block = new Block();
            var n = Math.Min(BuildFill, all.Count - start);
            all.CopyTo(start, block.Items, 0, n);
            block.Count = n;
            index._blocks.Add(block);
            index._starts.Add(start);
        }
        index.Count = all.Count;
        return index;
    }

    public void Add(IndexRecord record)
    {
        var values = Scalars(record);
        foreach (var v in values) Insert(new Entry(v, record.Key));
        if (values.Count > 1) _multi.Add(record.Key);
    }

    public void Remove(IndexRecord record)
    {
        foreach (var v in Scalars(record)) Delete(new Entry(v, record.Key));
        _multi.Remove(record.Key);
    }

    /// <summary>Whether the two versions of a record hold the same values under the path (so nothing here changes).</summary>
    public bool SameValues(IndexRecord a, IndexRecord b) => a.Fields.Get(PathId).SequenceEqual(b.Fields.Get(PathId));

    /// <summary>How many entries lie in <paramref name="interval"/>.</summary>
    public int CountIn(in ValueInterval interval) => interval.IsEmpty ? 0 : Math.Max(0, Seek(interval.High) - Seek(interval.Low));

    /// <summary>The keys of the entries in <paramref name="interval"/>, in order (a multi-valued record may come more than once).</summary>
    public IEnumerable<RecordKey> KeysIn(ValueInterval interval)
    {
        if (interval.IsEmpty) yield break;
        var from = Seek(interval.Low);
        var to = Seek(interval.High);
        if (from >= to) yield break;
        var b = BlockAt(from);
        var i = from - _starts[b];
        for (var left = to - from; left > 0; left--)
        {
            while (i >= _blocks[b].Count) { b++; i = 0; }
            yield return _blocks[b].Items[i++].Key;
        }
    }

    /// <summary>The record's distinct scalars under the path, sorted (a scratch list: writers and the builder are one thread at a time).</summary>
    private List<FieldValue> Scalars(IndexRecord record)
    {
        _scratch.Clear();
        foreach (var v in record.Fields.Get(PathId))
            if (v.Kind is FieldKind.False or FieldKind.True or FieldKind.Number or FieldKind.String) _scratch.Add(v);
        if (_scratch.Count > 1)
        {
            _scratch.Sort(static (a, b) => FieldValue.Compare(a, b));
            var w = 1;
            for (var r = 1; r < _scratch.Count; r++)
                if (FieldValue.Compare(_scratch[r], _scratch[w - 1]) != 0) _scratch[w++] = _scratch[r];
            _scratch.RemoveRange(w, _scratch.Count - w);
        }
        return _scratch;
    }

    /// <summary>The position of the first entry at or past <paramref name="bound"/>.</summary>
    private int Seek(in ValueBound bound)
    {
        int lo = 0, hi = _blocks.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var block = _blocks[mid];
            if (bound.IsAbove(block.Items[block.Count - 1].Value)) lo = mid + 1; else hi = mid;
        }
        if (lo == _blocks.Count) return Count;
        var items = _blocks[lo];
        int a = 0, z = items.Count;
        while (a < z)
        {
            var mid = (a + z) >>> 1;
            if (bound.IsAbove(items.Items[mid].Value)) a = mid + 1; else z = mid;
        }
        return _starts[lo] + a;
    }

    /// <summary>The block holding position <paramref name="position"/> (the last block for the end).</summary>
    private int BlockAt(int position)
    {
        int lo = 0, hi = _starts.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >>> 1;
            if (_starts[mid] <= position) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>The first block whose last entry is not below <paramref name="e"/>, or the last block.</summary>
    private int BlockFor(in Entry e)
    {
        int lo = 0, hi = _blocks.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var block = _blocks[mid];
            if (Entry.Compare(block.Items[block.Count - 1], e) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private void Insert(in Entry e)
    {
        if (_blocks.Count == 0) { _blocks.Add(new Block()); _starts.Add(0); }
        var b = BlockFor(e);
        var block = _blocks[b];
        var at = block.LowerBound(e);
        Array.Copy(block.Items, at, block.Items, at + 1, block.Count - at);
        block.Items[at] = e;
        block.Count++;
        Count++;
        for (var k = b + 1; k < _starts.Count; k++) _starts[k]++;
        if (block.Count == BlockCapacity)
        {
            var half = block.Count / 2;
            var right = new Block { Count = block.Count - half };
            Array.Copy(block.Items, half, right.Items, 0, right.Count);
            Array.Clear(block.Items, half, right.Count);
            block.Count = half;
            _blocks.Insert(b + 1, right);
            _starts.Insert(b + 1, _starts[b] + half);
        }
    }

    private void Delete(in Entry e)
    {
        if (_blocks.Count == 0) return;
        var b = BlockFor(e);
        var block = _blocks[b];
        var at = block.LowerBound(e);
        if (at == block.Count || Entry.Compare(block.Items[at], e) != 0) return;
        Array.Copy(block.Items, at + 1, block.Items, at, block.Count - at - 1);
        block.Items[--block.Count] = default;
        Count--;
        for (var k = b + 1; k < _starts.Count; k++) _starts[k]--;
        if (block.Count == 0)
        {
            _blocks.RemoveAt(b);
            _starts.RemoveAt(b);
        }
    }

    private readonly record struct Entry(FieldValue Value, RecordKey Key)
    {
        public static int Compare(in Entry a, in Entry b)
        {
            var c = FieldValue.Compare(a.Value, b.Value);
            return c != 0 ? c : a.Key.CompareTo(b.Key);
        }
    }

    private sealed class Block
    {
        public readonly Entry[] Items = new Entry[BlockCapacity];
        public int Count;

        public int LowerBound(in Entry e)
        {
            int lo = 0, hi = Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Entry.Compare(Items[mid], e) < 0) lo = mid + 1; else hi = mid;
            }
            return lo;
        }
    }
}
