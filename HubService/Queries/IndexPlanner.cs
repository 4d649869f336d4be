using MqttIoT.Hub.Filtering;
using MqttIoT.Hub.Index;

namespace MqttIoT.Hub.Queries;

/// <summary>
/// Picks how a FIND reaches its records: the candidates of the conjunction's most selective indexed props path, or
/// (null) every record. Candidates are a superset of the matches, each record once; the query still checks the whole
/// filter on each, so the answer is the scan's, only reached through fewer records.
/// </summary>
internal static class IndexPlanner
{
    // Through an index a record costs a dictionary lookup more than in the scan's flat pass: only worth it for a few.
    private const int ScanShare = 4;

    /// <summary>The props paths a field index could serve in <paramref name="filter"/>, in filter order: what <see cref="FieldIndexSet.Ensure"/> is given.</summary>
    public static List<int> IndexablePaths(Condition filter) =>
        [.. Groups(filter).Where(g => g.Key >= 0).Select(g => g.Key)];

    /// <summary>The candidates' keys, or null to scan. Under the read lock.</summary>
    public static IEnumerable<RecordKey>? Candidates(Condition filter, EntityTable table)
    {
        var groups = Groups(filter);
        if (groups.Count == 0) return null;
        FieldIndex? best = null;
        ValueInterval[] bestIntervals = [];
        var bestCombined = false;
        // Worth an index only below this many candidates.
        var bestCount = table.Count / ScanShare;
        foreach (var (pathId, conditions) in groups)
        {
            var intervals = conditions[0];
            foreach (var more in conditions.Skip(1)) intervals = ValueInterval.Intersect(intervals, more);
            var combined = conditions.Count > 1;
            // A path no record had when the filter was compiled, or one condition no value can meet: no record matches.
            // (Two conditions whose intervals do not meet may still both hold, through two elements of an array.)
            if (pathId < 0 || (intervals.Length == 0 && !combined)) return [];
            if (!table.Indexes.TryGet(pathId, out var index)) continue;
            var count = combined ? index.MultiValued.Count : 0;
            foreach (var i in intervals)
            {
                if (count >= bestCount) break;
                count += index.CountIn(i);
            }
            if (count >= bestCount) continue;
            (best, bestIntervals, bestCombined, bestCount) = (index, intervals, combined, count);
        }
        if (best is null) return null;
        table.Indexes.CountPlan();
        return Walk(best, bestIntervals, bestCombined);
    }

    private static IEnumerable<RecordKey> Walk(FieldIndex index, ValueInterval[] intervals, bool combined)
    {
        var multi = index.MultiValued;
        // A record of several values is listed once per value in the intervals: it comes once, here or below.
        HashSet<RecordKey>? seen = multi.Count > 0 && !combined ? [] : null;
        foreach (var interval in intervals)
        {
            foreach (var key in index.KeysIn(interval))
            {
                if (multi.Count > 0 && multi.Contains(key) && (combined || !seen!.Add(key))) continue;
                yield return key;
            }
        }
        // Combined conditions on one path: each may hold through another element of a multi-valued record.
        if (combined)
            foreach (var key in multi) yield return key;
    }

    /// <summary>The interval sets of the filter's indexable conditions, by props path id (-1: a path no record had).</summary>
    private static Dictionary<int, List<ValueInterval[]>> Groups(Condition filter)
    {
        var groups = new Dictionary<int, List<ValueInterval[]>>();
        IEnumerable<Condition> parts = filter is AndCondition and ? and.Parts : [filter];
        foreach (var part in parts)
        {
            if (part is not FieldCondition { Field.IsProps: true } f || f.Operator.Candidates is not { } intervals) continue;
            if (!groups.TryGetValue(f.Field.PathId, out var list)) groups[f.Field.PathId] = list = [];
            list.Add(intervals);
        }
        return groups;
    }
}
