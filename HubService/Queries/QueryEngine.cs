using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Queries;

/// <summary>
/// Runs LIST and FIND over the in-memory index (inside its read lock). Unfiltered in id order it walks the sorted ids
/// from the cursor and stops after <c>limit + 1</c>; anything else offers records to a bounded heap keeping the best
/// <c>limit + 1</c>: the candidates of a field index when <see cref="IndexPlanner"/> finds a selective one, else every
/// record in one pass (a flat, fast enumeration, where walking the sorted-id tree costs several times more per record).
/// Either way each offered record is checked against the whole filter, so both give the same page. The extra item
/// only tells whether a next page exists.
/// </summary>
internal static class QueryEngine
{
    public static (List<IndexRecord> Items, string? Next) Find(HubIndex index, bool devices, Condition filter, SortSpec sort,
        string? after, int limit, uint queryHash, bool useIndexes = true)
    {
        var table = index.Table(devices);
        (FieldValue Key, RecordKey Record)? cursor = after is null ? null : PageToken.Decode(after, queryHash);
        var items = new List<IndexRecord>(Math.Min(limit + 1, 1024));
        if (sort.Field.IsId && ReferenceEquals(filter, Condition.All))
        {
            foreach (var k in table.Keys(cursor?.Record, sort.Descending))
            {
                if (!table.TryGet(k, out var r) || !filter.Matches(r, index)) continue;
                items.Add(r);
                if (items.Count > limit) break;
            }
        }
        else
        {
            // Max-heap in the query's order: its top is the worst of the best limit+1 seen so far.
            var heap = new PriorityQueue<IndexRecord, (FieldValue Key, RecordKey Record)>(
                Comparer<(FieldValue Key, RecordKey Record)>.Create((a, b) => sort.Compare(b.Key, b.Record, a.Key, a.Record)));
            void Offer(IndexRecord r)
            {
                // The sort key only when something compares it: most records of a selective filter fail it first.
                FieldValue? key = null;
                var rk = r.Key;
                if (cursor is { } c && sort.Compare(key ??= sort.Field.SortKey(r, index), rk, c.Key, c.Record) <= 0) return;
                if (heap.Count > limit && heap.TryPeek(out _, out var worst) && sort.Compare(key ??= sort.Field.SortKey(r, index), rk, worst.Key, worst.Record) >= 0) return;
                if (!filter.Matches(r, index)) return;
                key ??= sort.Field.SortKey(r, index);
                if (heap.Count > limit) heap.EnqueueDequeue(r, (key.Value, rk));
                else heap.Enqueue(r, (key.Value, rk));
            }
            if (useIndexes && IndexPlanner.Candidates(filter, table) is { } candidates)
            {
                foreach (var k in candidates)
                    if (table.TryGet(k, out var r)) Offer(r);
            }
            else
            {
                foreach (var r in table.Records) Offer(r);
            }
            while (heap.Count > 0) items.Add(heap.Dequeue());
            items.Reverse();
        }
        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveRange(limit, items.Count - limit);
            var last = items[^1];
            next = PageToken.Encode(queryHash, sort.Field.SortKey(last, index), last.Key);
        }
        return (items, next);
    }

    /// <summary>
    /// Makes the field indexes a FIND on <paramref name="filter"/> could use and the table lacks; outside the read
    /// lock, since it takes the write lock (only when one is missing: once per path, until evicted).
    /// </summary>
    public static void PrepareIndexes(HubIndex index, bool devices, Condition filter)
    {
        var paths = IndexPlanner.IndexablePaths(filter);
        if (paths.Count == 0 || !index.Read(i => i.Table(devices).Indexes.Lacks(paths, i.Table(devices).Count))) return;
        index.Write(i => i.Table(devices).Indexes.Ensure(paths, i.Table(devices).Records));
    }

    public static (List<RecordKey> Keys, string? Next) List(HubIndex index, bool devices, string? station, string? after, int limit, uint queryHash)
    {
        RecordKey? cursor = after is null ? null : PageToken.Decode(after, queryHash).Record;
        IEnumerable<RecordKey> keys;
        if (station is null) keys = index.Table(devices).Keys(cursor, descending: false);
        else
        {
            var held = index.DevicesOf(station).Select(id => new RecordKey(id, station))
                .Where(k => cursor is not { } c || k.CompareTo(c) > 0).ToList();
            held.Sort(RecordKey.Order);
            keys = held;
        }
        var page = keys.Take(limit + 1).ToList();
        string? next = null;
        if (page.Count > limit)
        {
            page.RemoveAt(limit);
            next = PageToken.Encode(queryHash, FieldValue.Of(page[^1].Id), page[^1]);
        }
        return (page, next);
    }
}
