using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Queries;

/// <summary>
/// Runs LIST and FIND over the in-memory index (inside its read lock). Unfiltered in id order it walks the sorted ids
/// from the cursor and stops after <c>limit + 1</c>; anything else is one pass over the records (a flat, fast
/// enumeration, where walking the sorted-id tree costs several times more per record), keeping the best
/// <c>limit + 1</c> in a bounded heap. The extra item only tells whether a next page exists.
/// </summary>
internal static class QueryEngine
{
    public static (List<IndexRecord> Items, string? Next) Find(HubIndex index, bool devices, Condition filter, SortSpec sort,
        string? after, int limit, uint queryHash)
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
            foreach (var r in table.Records)
            {
                // The sort key only when something compares it: most records of a selective filter fail it first.
                FieldValue? key = null;
                var rk = r.Key;
                if (cursor is { } c && sort.Compare(key ??= sort.Field.SortKey(r, index), rk, c.Key, c.Record) <= 0) continue;
                if (heap.Count > limit && heap.TryPeek(out _, out var worst) && sort.Compare(key ??= sort.Field.SortKey(r, index), rk, worst.Key, worst.Record) >= 0) continue;
                if (!filter.Matches(r, index)) continue;
                key ??= sort.Field.SortKey(r, index);
                if (heap.Count > limit) heap.EnqueueDequeue(r, (key.Value, rk));
                else heap.Enqueue(r, (key.Value, rk));
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
